import CFSPProtocol
import RPC

/// protocol.schema.json, derived from CFSPProtocol's types: the JSON-RPC envelope, every
/// method's params (`$defs/params/<method>`), result (`$defs/results/<method>`) and progress
/// report (`$defs/progress/<method>`), the shared objects and the error codes.
public enum ProtocolSchemaDocument {
    /// The repository file the document is written to.
    public static let fileName = "protocol.schema.json"

    /// The whole document for `methods` (every model method by default).
    public static func generate(methods: [MethodDescription] = ProtocolMethods.descriptions) -> SchemaJSON {
        var renderer = SchemaRenderer()
        let token: (String, SchemaJSON) = ("workDoneToken", .object([("$ref", "#/$defs/progressToken")]))

        var params: [(String, SchemaJSON)] = [
            ("initialize", .object(renderer.object(InitializeParams.shape, .params, extra: [token]))),
            ("shutdown", .object([("type", "object")])),
        ]
        var results: [(String, SchemaJSON)] = [
            ("initialize", .object(initializeResult(&renderer))),
            ("shutdown", .object([("type", "null")])),
        ]
        var progress: [(String, SchemaJSON)] = []
        for method in methods {
            params.append((method.method, .object(renderer.object(method.params, .params, extra: [token]))))
            results.append((method.method, .object(renderer.render(.object(method.result), .result))))
            if !method.progress.members.isEmpty {
                progress.append((method.method, .object(renderer.object(method.progress, .result))))
            }
        }
        let envelope: [(String, SchemaJSON)] = [
            ("progressToken", oneOf([["type": "integer"], ["type": "string"]])),
            ("id", oneOf([["type": "integer"], ["type": "string"]])),
            ("message", oneOf([["$ref": "#/$defs/request"], ["$ref": "#/$defs/notification"],
                               ["$ref": "#/$defs/response"]])),
            ("request", request(methods: ["initialize", "shutdown"] + methods.map(\.method))),
            ("notification", notification()),
            ("response", response()),
            ("error", error()),
            ("progressValue", progressValue(methods, &renderer)),
        ]
        return .object([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", "https://cfsp.invalid/protocol.schema.json"),
            ("title", "cfspd JSON-RPC messages"),
            ("description", .string("""
                Every message cfspd sends or accepts (protocol.md). Validate a message against the root; \
                validate a successful response's result against $defs/results/<method> of the request it answers, \
                and a $/progress report of a method against $defs/progress/<method>. Generated from the \
                CFSPProtocol types by `swift run protocol-schema`: do not edit by hand.
                """)),
            ("$ref", "#/$defs/message"),
            ("$defs", .object(envelope + renderer.definitions.map { ($0.name, $0.schema) } + [
                ("params", .object(params)), ("results", .object(results)), ("progress", .object(progress)),
            ])),
        ])
    }

    private static func oneOf(_ options: [[String: String]]) -> SchemaJSON {
        .object([("oneOf", .array(options.map { option in
            .object(option.keys.sorted().map { ($0, SchemaJSON.string(option[$0]!)) })
        }))])
    }

    /// A JSON pointer segment (`/` and `~` escaped).
    static func pointer(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private static func request(methods: [String]) -> SchemaJSON {
        .object([
            ("type", "object"),
            ("properties", .object([
                ("jsonrpc", .object([("const", "2.0")])), ("id", .object([("$ref", "#/$defs/id")])),
                ("method", .object([("type", "string")])), ("params", .object([("type", "object")])),
            ])),
            ("required", .array(["jsonrpc", "id", "method"])),
            ("additionalProperties", false),
            ("allOf", .array(methods.map { method in
                .object([
                    ("if", .object([("properties", .object([("method", .object([("const", .string(method))]))]))])),
                    ("then", .object([("properties", .object([
                        ("params", .object([("$ref", .string("#/$defs/params/\(pointer(method))"))])),
                    ]))])),
                ])
            })),
        ])
    }

    private static func notification() -> SchemaJSON {
        func params(_ method: String, _ properties: [(String, SchemaJSON)], required: [SchemaJSON]) -> SchemaJSON {
            .object([
                ("if", .object([("properties", .object([("method", .object([("const", .string(method))]))]))])),
                ("then", .object([
                    ("required", .array(["params"])),
                    ("properties", .object([("params", .object([
                        ("type", "object"), ("properties", .object(properties)), ("required", .array(required)),
                        ("additionalProperties", false),
                    ]))])),
                ])),
            ])
        }
        return .object([
            ("type", "object"),
            ("properties", .object([
                ("jsonrpc", .object([("const", "2.0")])), ("method", .object([("type", "string")])),
                ("params", .object([("type", "object")])),
            ])),
            ("required", .array(["jsonrpc", "method"])),
            ("not", .object([("required", .array(["id"]))])),
            ("additionalProperties", false),
            ("allOf", .array([
                params(ProgressNotification.method, [
                    ("token", .object([("$ref", "#/$defs/progressToken")])),
                    ("value", .object([("$ref", "#/$defs/progressValue")])),
                ], required: ["token", "value"]),
                params(CancelRequestNotification.method, [("id", .object([("$ref", "#/$defs/id")]))], required: ["id"]),
            ])),
        ])
    }

    private static func response() -> SchemaJSON {
        .object([
            ("type", "object"),
            ("properties", .object([
                ("jsonrpc", .object([("const", "2.0")])),
                ("id", .object([("oneOf", .array([.object([("$ref", "#/$defs/id")]), .object([("type", "null")])]))])),
                ("result", .object([])),
                ("error", .object([("$ref", "#/$defs/error")])),
            ])),
            ("required", .array(["jsonrpc", "id"])),
            ("additionalProperties", false),
            ("oneOf", .array([.object([("required", .array(["result"]))]), .object([("required", .array(["error"]))])])),
        ])
    }

    private static func error() -> SchemaJSON {
        .object([
            ("type", "object"),
            ("properties", .object([
                ("code", .object([("enum", .array(ProtocolErrorCodes.all.map(SchemaJSON.int)))])),
                ("message", .object([("type", "string"), ("minLength", 1)])),
                ("data", .object([])),
            ])),
            ("required", .array(["code", "message"])),
            ("additionalProperties", false),
        ])
    }

    /// `begin`, `report` (every method's report members) and `end`.
    private static func progressValue(_ methods: [MethodDescription], _ renderer: inout SchemaRenderer) -> SchemaJSON {
        let percentage: (String, SchemaJSON) = ("percentage", .object([("type", "integer"), ("minimum", 0), ("maximum", 100)]))
        let message: (String, SchemaJSON) = ("message", .object([("type", "string")]))
        var reportMembers: [(String, SchemaJSON)] = [("kind", .object([("const", "report")])), message, percentage]
        for method in methods {
            for member in method.progress.members where !reportMembers.contains(where: { $0.0 == member.name }) {
                reportMembers.append((member.name, .object(renderer.render(member.type, .result))))
            }
        }
        return .object([("oneOf", .array([
            .object([
                ("type", "object"),
                ("properties", .object([
                    ("kind", .object([("const", "begin")])), ("title", .object([("type", "string")])),
                    ("cancellable", .object([("type", "boolean")])), message, percentage,
                ])),
                ("required", .array(["kind", "title"])),
                ("additionalProperties", false),
            ]),
            .object([
                ("type", "object"), ("properties", .object(reportMembers)), ("required", .array(["kind"])),
                ("additionalProperties", false),
            ]),
            .object([
                ("type", "object"),
                ("properties", .object([
                    ("kind", .object([("const", "end")])),
                    ("outcome", .object([("enum", .array(ProgressOutcome.allCases.map { .string($0.rawValue) }))])),
                    message,
                ])),
                ("required", .array(["kind"])),
                ("additionalProperties", false),
            ]),
        ]))])
    }

    /// `serverInfo` and `capabilities`: RPC's `methods` and `framing`, then the daemon's own.
    private static func initializeResult(_ renderer: inout SchemaRenderer) -> [(String, SchemaJSON)] {
        let daemon = renderer.object(DaemonCapabilities.shape, .result)
        var properties: [(String, SchemaJSON)] = [
            ("methods", .object([("description", "every request and notification the daemon answers, sorted"),
                                 ("type", "array"), ("items", .object([("type", "string")]))])),
            ("framing", .object([("description", "the framing of this connection"),
                                 ("enum", .array(Framing.allCases.map { .string($0.rawValue) }))])),
        ]
        var required: [SchemaJSON] = ["methods", "framing"]
        if case .object(let members)? = daemon.first(where: { $0.0 == "properties" })?.1 { properties += members }
        if case .array(let names)? = daemon.first(where: { $0.0 == "required" })?.1 { required += names }
        return [
            ("type", "object"),
            ("properties", .object([
                ("serverInfo", .object(renderer.render(.object(ServerInfo.shape), .result))),
                ("capabilities", .object([("type", "object"), ("properties", .object(properties)),
                                          ("required", .array(required))])),
            ])),
            ("required", .array(["serverInfo", "capabilities"])),
            ("additionalProperties", false),
        ]
    }
}
