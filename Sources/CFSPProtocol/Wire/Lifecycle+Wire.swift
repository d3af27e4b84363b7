import RPC

// RPC's lifecycle records as protocol objects, so the schema describes `initialize` from the
// same types the server and clients use.

extension InitializeParams.ClientInfo: WireObject {
    /// The schema name.
    public static let wireName = "clientInfo"
    /// What the object is.
    public static let wireDoc = "the client's name and version, for logs"
    /// Placeholder name.
    public static let blank = InitializeParams.ClientInfo(name: "")
    /// Every member.
    public static let members: [WireMember<InitializeParams.ClientInfo>] = [
        .required("name", \.name, "program name"),
        .optional("version", \.version, "program version"),
    ]
}

extension InitializeParams: WireObject {
    /// The schema name.
    public static let wireName = "initializeParams"
    /// What the object is.
    public static let wireDoc = "who the client is (everything optional)"
    /// Nothing said.
    public static let blank = InitializeParams()
    /// Every member.
    public static let members: [WireMember<InitializeParams>] = [
        .optional("clientInfo", \.clientInfo, "the client's name and version, for logs"),
        .optional("processId", \.processId, "process id of the client, for logs"),
    ]
}

extension ServerInfo: WireObject {
    /// The schema name.
    public static let wireName = "serverInfo"
    /// What the object is.
    public static let wireDoc = "who answers"
    /// Placeholders.
    public static let blank = ServerInfo(name: "", version: "")
    /// Every member.
    public static let members: [WireMember<ServerInfo>] = [
        .required("name", \.name, "program name"),
        .required("version", \.version, "program version"),
    ]
}
