import CFSPProtocol
import Core
import Foundation
import ProtocolSchema
import RPC
import Testing

/// protocol.schema.json and protocol.md's tables are derived from the types: the committed files
/// must match, and the checker must notice any member whose type, default, range, required-ness
/// or existence differs.
@Suite("Schema and protocol.md derived from the types")
struct SchemaCheckTests {
    /// The repository root (found from this source file).
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    @Test("the committed protocol.schema.json and protocol.md tables match the types")
    func committedFilesMatch() throws {
        let problems = try ProtocolDocuments.differences(root: Self.root)
        #expect(problems.isEmpty, "run `swift run protocol-schema` and commit: \(problems.prefix(10))")
    }

    /// A params type for the checker's own test: an integer with a default and a range, a required string.
    struct ProbeParams: WireObject, Equatable {
        var name = ""
        var count = 128
        static let wireName = "probeParams"
        static let wireDoc = "a probe"
        static let blank = ProbeParams()
        static let members: [WireMember<ProbeParams>] = [
            .required("name", \.name, "a name"),
            .defaulted("count", \.count, "how many", range: .atLeast(1)),
        ]
    }

    enum ProbeRequest: ProtocolMethod {
        typealias Params = ProbeParams
        typealias Response = EmptyObject
        static let method = "probe"
        static let summary = "A probe."
    }

    /// The params schema the generator derives for the probe.
    static func probeSchema() throws -> JSONValue {
        let document = ProtocolSchemaDocument.generate(methods: [ProbeRequest.description]).jsonValue
        return try #require(document["$defs"]?["params"]?["probe"])
    }

    @Test("the checker reports a changed type, default, range, required-ness and an extra member, and nothing when they agree")
    func checkerFailsOnMismatch() throws {
        let types = try Self.probeSchema()
        #expect(SchemaDifferences.between(file: types, types: types).isEmpty)
        // A schema file written for an older ProbeParams: count was a number defaulting to 64 from 0,
        // name was optional, and there was a member `size`.
        let file = try json("""
            {"type":"object","description":"a probe","properties":{
              "name":{"description":"a name","type":"string"},
              "count":{"description":"how many","type":"number","minimum":0,"default":64},
              "size":{"description":"gone","type":"integer"},
              "workDoneToken":{"$ref":"#/$defs/progressToken"}},
             "required":[],"additionalProperties":false}
            """)
        let differences = SchemaDifferences.between(file: file, types: types)
        #expect(differences.contains("/properties/count/type: the file has \"number\", the types give \"integer\""))
        #expect(differences.contains("/properties/count/default: the file has 64, the types give 128"))
        #expect(differences.contains("/properties/count/minimum: the file has 0, the types give 1"))
        #expect(differences.contains("/properties/size: only in the file ({\"description\":\"gone\",\"type\":\"integer\"})"))
        #expect(differences.contains { $0.hasPrefix("/required: the file has [], the types give [\"name\"]") })
        #expect(differences.count == 5, "\(differences)")
    }

    @Test("a repository whose schema lags the types fails the check, naming the member")
    func staleRepositoryFails() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("protocol-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Self.root + "/protocol.md", toPath: folder + "/protocol.md")
        let schema = try String(contentsOfFile: Self.root + "/protocol.schema.json", encoding: .utf8)
        // As if `sparsity`'s range had been widened in the schema by hand.
        let stale = schema.replacingOccurrences(of: "\"exclusiveMaximum\": 1\n", with: "\"maximum\": 1\n")
        #expect(stale != schema)
        try stale.write(toFile: folder + "/protocol.schema.json", atomically: true, encoding: .utf8)
        let problems = try ProtocolDocuments.differences(root: folder)
        #expect(problems.contains("protocol.schema.json/$defs/params/score/properties/sparsity/exclusiveMaximum: only in the types (1)"))
        #expect(problems.contains("protocol.schema.json/$defs/params/score/properties/sparsity/maximum: only in the file (1)"))
        try ProtocolDocuments.write(root: folder)
        #expect(try ProtocolDocuments.differences(root: folder).isEmpty, "writing brings the files up to date")
    }

    @Test("every params member of the schema has the default and range of its type")
    func defaultsAndRangesInTheSchema() throws {
        let schema = ProtocolSchemaDocument.generate().jsonValue
        let calibrate = try #require(schema["$defs"]?["params"]?["calibrate"]?["properties"])
        #expect(calibrate["count"]?["default"]?.intValue == CalibrationSampling().count)
        #expect(calibrate["count"]?["minimum"] == 1)
        #expect(calibrate["windowSize"]?["default"]?.intValue == CalibrationSampling().windowSize)
        let score = try #require(schema["$defs"]?["params"]?["score"])
        #expect(score["properties"]?["sparsity"]?["exclusiveMaximum"] == 1)
        #expect(score["properties"]?["scale"]?["default"]?.intValue == Int(PruningOptions(sparsity: 0).scale))
        #expect(score["required"] == ["model", "calibration", "sparsity"])
        let finetune = try #require(schema["$defs"]?["params"]?["finetune"]?["properties"])
        #expect(finetune["rank"]?["default"]?.intValue == FineTuneOptions(steps: 1).rank)
        #expect(finetune["windows"] == nil, "refused members are not in the schema")
    }
}
