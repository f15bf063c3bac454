//! The CWMP envelope model: what [`parse_envelope`](super::parse_envelope) gives the later stages.
//!
//! Takes nothing (plain data types); gives the outcome of parsing one HTTP body as SOAP/CWMP,
//! following TR-069 §3.5 (SOAP envelope, header elements) and the `cwmp-1-x.xsd` schemas (RPC
//! arguments; tr069-facts.md §1, §6, §7).
//!
//! Invariants:
//! - Every string is unescaped XML character data; scalars (names, codes, values) are trimmed of
//!   leading and trailing whitespace, so whitespace at the ends of a parameter value is not kept.
//! - A field is `None` when the element is absent **or** its text does not parse as the schema
//!   type; the second case also leaves a [`Quirk::InvalidValue`] (or an [`Inform::problems`] line).
//! - Secrets are not carried: Download/Upload `Username`/`Password` are never read.

use std::borrow::Cow;

use super::quirk::Quirk;

/// A namespace URI or an RPC name: nearly always one of a few well-known values, which are borrowed
/// from [`intern`]'s table instead of allocated once per message (a capture holds tens of thousands).
pub type Name = Cow<'static, str>;

/// The well-known namespaces; the RPC names are [`super::rpc::KNOWN_RPCS`].
const KNOWN_NAMESPACES: &[&str] = &[
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
    "urn:dslforum-org:cwmp-1-0",
    "urn:dslforum-org:cwmp-1-1",
    "urn:dslforum-org:cwmp-1-2",
    "urn:dslforum-org:cwmp-1-3",
    "urn:dslforum-org:cwmp-1-4",
];

/// `s` as a [`Name`]: borrowed when it is a well-known value, owned otherwise.
pub fn intern(s: &str) -> Name {
    let known = KNOWN_NAMESPACES
        .iter()
        .chain(super::rpc::KNOWN_RPCS)
        .chain(&["Fault"]);
    crate::interned::known_or_owned(known, s)
}

/// What one HTTP body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapOutcome {
    /// A SOAP envelope (possibly with quirks).
    Envelope(Box<Envelope>),
    /// Zero bytes or only whitespace: the CPE's empty POST or the ACS's empty response.
    Empty,
    /// Well-formed XML or text that is not a SOAP envelope (HTML error page, JSON, plain text, a
    /// bare RPC element without an Envelope …). `reason` says what it is.
    NotSoap { reason: String },
    /// Not well-formed XML. `offset` is the byte offset in the body (0-based, BOM included);
    /// `line` and `column` are 1-based, the column counted in characters. `rpc_hint` is the local
    /// name of the first Body child (or of a bare CWMP root element) when it was read before the
    /// error, so a "malformed Inform" can be reported.
    Malformed {
        offset: u64,
        line: u32,
        column: u32,
        message: String,
        rpc_hint: Option<String>,
    },
}

/// A parsed SOAP envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The namespace URI of the Envelope element; empty when its prefix was never declared.
    pub soap_ns: Name,
    /// The CWMP namespace the message uses: the RPC element's namespace, for a SOAP Fault the
    /// namespace of `detail/Fault`, otherwise the namespace of the `ID` header.
    pub cwmp_ns: Option<Name>,
    pub header: SoapHeader,
    pub body: Body,
    /// Non-fatal deviations from SOAP/TR-069 worth reporting, in the order found.
    pub quirks: Vec<Quirk>,
}

impl Envelope {
    /// The first Body child, unless the Body is empty.
    pub fn rpc(&self) -> Option<&Rpc> {
        match &self.body {
            Body::Rpc(r) => Some(r),
            Body::Empty => None,
        }
    }

    /// The Inform, when the Body carries one.
    pub fn inform(&self) -> Option<&Inform> {
        match self.rpc().map(|r| &r.detail) {
            Some(RpcDetail::Inform(i)) => Some(i),
            _ => None,
        }
    }

    /// The Fault, when the Body carries one.
    pub fn fault(&self) -> Option<&Fault> {
        match self.rpc().map(|r| &r.detail) {
            Some(RpcDetail::Fault(f)) => Some(f),
            _ => None,
        }
    }
}

/// The CWMP SOAP header elements (tr069-facts.md §1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoapHeader {
    /// `cwmp:ID`: echoed by the response, which is how responses are matched to requests.
    pub id: Option<String>,
    /// The `mustUnderstand` attribute of `cwmp:ID` as written (the schema fixes it to "1").
    pub id_must_understand: Option<String>,
    pub hold_requests: Option<bool>,
    /// `cwmp:SessionTimeout` in seconds (CWMP 1.3+).
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions` (CWMP 1.4, CPE→ACS).
    pub supported_versions: Option<String>,
    /// `cwmp:UseCWMPVersion` (CWMP 1.4, ACS→CPE).
    pub use_version: Option<String>,
    /// `cwmp:NoMoreRequests` (deprecated since Amd 2, in no XSD).
    pub no_more_requests: Option<bool>,
}

/// The SOAP Body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per HTTP message, matched by value in later stages; a Box adds only noise"
)]
pub enum Body {
    /// A Body element without child elements (or no Body at all, with a quirk).
    Empty,
    Rpc(Rpc),
}

/// The first child element of the Body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpc {
    /// Local name, e.g. `Inform`, `InformResponse`, `Fault`.
    pub name: Name,
    /// Namespace URI of the element (`None` when unqualified or its prefix was undeclared).
    pub ns: Option<Name>,
    pub detail: RpcDetail,
}

/// The arguments of the RPCs a diagnosis needs; any other RPC is [`RpcDetail::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcDetail {
    Inform(Box<Inform>),
    InformResponse {
        max_envelopes: Option<u32>,
    },
    /// A SOAP Fault; the CWMP detail (FaultCode, FaultString, SetParameterValuesFault*) is read
    /// from `detail/cwmp:Fault`.
    Fault(Fault),
    SetParameterValues {
        params: Vec<ParamValue>,
        parameter_key: Option<String>,
    },
    /// Status 0 = applied, 1 = committed but not yet applied (both success).
    SetParameterValuesResponse {
        status: Option<u32>,
    },
    GetParameterValues {
        names: Vec<String>,
    },
    GetParameterValuesResponse {
        params: Vec<ParamValue>,
    },
    GetParameterNames {
        path: Option<String>,
        next_level: Option<bool>,
    },
    /// Number of ParameterInfoStruct elements.
    GetParameterNamesResponse {
        count: usize,
    },
    /// Number of SetParameterAttributesStruct elements.
    SetParameterAttributes {
        count: usize,
    },
    GetParameterAttributes {
        names: Vec<String>,
    },
    AddObject {
        object_name: Option<String>,
        parameter_key: Option<String>,
    },
    AddObjectResponse {
        instance: Option<u32>,
        status: Option<u32>,
    },
    DeleteObject {
        object_name: Option<String>,
        parameter_key: Option<String>,
    },
    DeleteObjectResponse {
        status: Option<u32>,
    },
    Download {
        command_key: Option<String>,
        file_type: Option<String>,
        url: Option<String>,
        file_size: Option<u64>,
        target_file: Option<String>,
        delay: Option<u32>,
    },
    DownloadResponse {
        status: Option<u32>,
    },
    Upload {
        command_key: Option<String>,
        file_type: Option<String>,
        url: Option<String>,
    },
    UploadResponse {
        status: Option<u32>,
    },
    /// `fault_code` 0 means success.
    TransferComplete {
        command_key: Option<String>,
        fault_code: Option<u32>,
        fault_string: Option<String>,
        start: Option<String>,
        complete: Option<String>,
    },
    AutonomousTransferComplete {
        fault_code: Option<u32>,
        fault_string: Option<String>,
    },
    Reboot {
        command_key: Option<String>,
    },
    FactoryReset,
    ScheduleInform {
        delay: Option<u32>,
        command_key: Option<String>,
    },
    GetRPCMethods,
    GetRPCMethodsResponse {
        methods: Vec<String>,
    },
    /// Any other RPC (responses without content, vendor RPCs, ChangeDUState …): name only.
    Other,
}

/// The Inform arguments (tr069-facts.md §7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inform {
    pub device_id: DeviceId,
    pub events: Vec<Event>,
    pub max_envelopes: Option<u32>,
    /// As written; an untimezoned value with year < 1000 means the CPE clock is unset.
    pub current_time: Option<String>,
    pub retry_count: Option<u32>,
    pub params: Vec<ParamValue>,
    /// Schema violations found in the Inform, one sentence each, e.g. "DeviceId.OUI missing".
    pub problems: Vec<String>,
}

/// `DeviceIdStruct`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceId {
    pub manufacturer: Option<String>,
    pub oui: Option<String>,
    pub product_class: Option<String>,
    pub serial_number: Option<String>,
}

/// `EventStruct`: the event code (e.g. `0 BOOTSTRAP`, `M Reboot`) and its command key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub code: String,
    pub command_key: Option<String>,
}

/// `ParameterValueStruct`: name, value and the `xsi:type` written on `Value` (e.g. `xsd:string`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub name: String,
    pub value: String,
    pub xsi_type: Option<String>,
}

/// A SOAP Fault with its CWMP detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    /// SOAP `faultcode` as written (`Client`, `Server`, `SOAP-ENV:Client` …).
    pub soap_faultcode: Option<String>,
    pub soap_faultstring: Option<String>,
    /// CWMP `FaultCode` (8000–8899 ACS, 9000–9899 CPE); see [`fault_meaning`](super::fault_meaning).
    pub code: Option<u32>,
    pub string: Option<String>,
    pub param_faults: Vec<ParamFault>,
}

/// One `SetParameterValuesFault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFault {
    pub name: String,
    pub code: Option<u32>,
    pub string: Option<String>,
}
