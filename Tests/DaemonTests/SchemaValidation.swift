import Foundation
import RPC
import TestSupport

/// Validates recorded traffic against protocol.schema.json with Python's `jsonschema` (an
/// implementation independent of the daemon): every message against the root schema, and every
/// successful result against the result schema of the method it answers.
enum SchemaValidation {
    static let script = #"""
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
traffic = json.load(open(sys.argv[2]))
validator = jsonschema.Draft202012Validator(schema)
def sub(name):
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/results/" + name.replace("/", "~1"), "$defs": schema["$defs"]})
problems = []
methods = {}
for message in traffic["sent"]:
    if "id" in message and "method" in message:
        methods[json.dumps(message["id"])] = message["method"]
for direction in ("sent", "received"):
    for message in traffic[direction]:
        for error in validator.iter_errors(message):
            problems.append(f"{direction} {json.dumps(message)[:200]}: {error.message[:200]}")
checked = 0
for message in traffic["received"]:
    if "result" in message:
        method = methods.get(json.dumps(message["id"]))
        if method is None:
            problems.append(f"result for an unknown id: {json.dumps(message)[:200]}")
            continue
        for error in sub(method).iter_errors(message["result"]):
            problems.append(f"result of {method}: {error.message[:300]}")
        checked += 1
print(json.dumps({"problems": problems, "messages": len(traffic["sent"]) + len(traffic["received"]), "results": checked}))
"""#

    /// The outcome of one validation run.
    struct Report: Decodable {
        var problems: [String]
        var messages: Int
        var results: Int
    }

    /// Path of protocol.schema.json at the package root (found from this source file).
    static var schemaPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("protocol.schema.json").path
    }

    /// Runs the validator on `sent` (valid messages only) and `received` messages.
    static func validate(sent: [JSONValue], received: [JSONValue], scratch: ScratchFolder) throws -> Report {
        let trafficPath = scratch.file("traffic.json")
        let traffic: JSONValue = ["sent": .array(sent), "received": .array(received)]
        try Data(traffic.serialized()).write(to: URL(fileURLWithPath: trafficPath))
        let scriptPath = scratch.file("validate.py")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let output = try TestProcess.python(scriptPath, [schemaPath, trafficPath], what: "the jsonschema validator")
        return try JSONDecoder().decode(Report.self, from: output)
    }
}
