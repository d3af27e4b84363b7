import Foundation
import RPC

/// The repository files derived from the types, and the check that they are up to date.
public enum ProtocolDocuments {
    /// The document whose tables are generated.
    public static let markdownName = "protocol.md"

    /// What `root`'s protocol.schema.json and protocol.md should hold.
    public static func expected(root: String) throws -> (schema: String, markdown: String, missingRegions: [String]) {
        let markdown = try String(contentsOfFile: root + "/" + markdownName, encoding: .utf8)
        let filled = GeneratedRegions.fill(markdown, with: MethodTables.regions())
        return (ProtocolSchemaDocument.generate().prettyPrinted, filled.text, filled.missing)
    }

    /// Every way `root`'s files differ from the types: schema members (type, default, range,
    /// required-ness, presence), then text that is not as generated, then protocol.md regions
    /// without markers. Empty when the files are up to date.
    public static func differences(root: String) throws -> [String] {
        let (schema, markdown, missing) = try expected(root: root)
        var problems: [String] = []
        let schemaPath = root + "/" + ProtocolSchemaDocument.fileName
        let fileText = (try? String(contentsOfFile: schemaPath, encoding: .utf8)) ?? ""
        do {
            let file = try JSONValue(parsing: Array(fileText.utf8))
            let types = try JSONValue(parsing: Array(schema.utf8))
            problems += SchemaDifferences.between(file: file, types: types).map { "\(ProtocolSchemaDocument.fileName)\($0)" }
        } catch {
            problems.append("\(ProtocolSchemaDocument.fileName): not valid JSON (\(error))")
        }
        if problems.isEmpty && fileText != schema {
            problems.append("\(ProtocolSchemaDocument.fileName): same content, but not as the generator writes it")
        }
        let currentMarkdown = try String(contentsOfFile: root + "/" + markdownName, encoding: .utf8)
        if currentMarkdown != markdown {
            problems.append("\(markdownName): a generated table differs from the types")
        }
        problems += missing.map { "\(markdownName): no markers for the generated region '\($0)'" }
        return problems
    }

    /// Writes both files under `root`; returns the protocol.md regions that have no markers.
    @discardableResult
    public static func write(root: String) throws -> [String] {
        let (schema, markdown, missing) = try expected(root: root)
        try schema.write(toFile: root + "/" + ProtocolSchemaDocument.fileName, atomically: true, encoding: .utf8)
        try markdown.write(toFile: root + "/" + markdownName, atomically: true, encoding: .utf8)
        return missing
    }
}
