import Core
import Foundation
import Testing

/// cfsp's Jinja interpreter against transformers' rendering (jinja2 in its chat-template
/// environment) of the same templates and messages. The golden strings are in
/// Scripts/chat_templates.json, written once by Scripts/chat_template_golden.py (transformers
/// 5.24.0, jinja2 3.1.6): SmolLM2-135M-Instruct's template as its GGUF stores it, Gemma 3's
/// instruction-tuned template, and one template that uses the rest of the subset.
@Suite struct ChatTemplateTests {
    struct Golden: Decodable {
        var templates: [String: String]
        var messages: [String: [ChatMessage]]
        var cases: [Case]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var template: String
        var messages: String
        var addGenerationPrompt: Bool
        var rendered: String?
        var error: String?
        var testDescription: String { "\(template), \(messages), generation prompt \(addGenerationPrompt)" }
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/chat_templates.json")
        // swiftlint:disable:next force_try
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: golden.cases)
    func rendersAsTransformersDoes(_ golden: Case) throws {
        let template = try ChatTemplate(source: Self.golden.templates[golden.template]!)
        let messages = Self.golden.messages[golden.messages]!
        let render = { try template.render(messages: messages, addGenerationPrompt: golden.addGenerationPrompt,
                                           bosToken: "<bos>", eosToken: "<eos>") }
        if let expected = golden.rendered {
            let actual = try render()
            #expect(actual == expected, "rendered \(actual.debugDescription)")
        } else {
            #expect(throws: ChatTemplateError.raised(golden.error ?? "")) { try render() }
        }
    }

    @Test func theGoldenFileCoversEveryTemplateAndARaisedError() {
        #expect(Set(Self.golden.cases.map(\.template)) == ["smollm2", "gemma3", "subset"])
        #expect(Self.golden.cases.contains { $0.error != nil })
        #expect(Self.golden.cases.filter { $0.rendered != nil }.count >= 18)
    }

    @Test(arguments: [
        ("{% macro greet(x) %}hi{% endmacro %}", "the '{% macro %}' statement"),
        ("{% for m in messages %}{% include 'x' %}{% endfor %}", "the '{% include %}' statement"),
        ("{{ messages | map(attribute='role') | join }}", "the '| map' filter"),
        ("{% if messages is callable %}x{% endif %}", "the 'is callable' test"),
        ("{{ 2 ** 3 }}", "the ** operator"),
        ("{% set a, b = 1, 2 %}", "a block set ({% set a %}...{% endset %}) or a tuple set"),
    ])
    func unsupportedConstructsAreNamed(source: String, construct: String) {
        #expect(throws: ChatTemplateError.unsupported(construct: construct, line: 1)) {
            let template = try ChatTemplate(source: source)
            _ = try template.render(messages: [ChatMessage(role: "user", content: "x")])
        }
    }

    @Test func syntaxErrorsGiveTheLine() {
        #expect(throws: ChatTemplateError.syntax("the template ends inside a block (expected 'elif' or 'else' or 'endif')", line: 2)) {
            try ChatTemplate(source: "a\n{% if x %}b")
        }
        #expect(throws: ChatTemplateError.syntax("a tag opened here is never closed", line: 3)) {
            try ChatTemplate(source: "a\n\n{{ x ")
        }
    }

    @Test func undefinedValuesFailInArithmeticAndPrintAsNothing() throws {
        let template = try ChatTemplate(source: "[{{ nothing }}]{{ messages[0].missing + 'x' }}")
        #expect(throws: ChatTemplateError.self) { try template.render(messages: [ChatMessage(role: "user", content: "x")]) }
        #expect(try ChatTemplate(source: "[{{ nothing }}{{ messages[5] }}]").render(messages: []) == "[]")
    }

    @Test func tokenizerConfigTemplatesAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfsp-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("plain.json"), named = folder.appendingPathComponent("named.json")
        try Data(#"{"chat_template": "{{ messages[0].content }}"}"#.utf8).write(to: plain)
        try Data(#"{"chat_template": [{"name": "tool_use", "template": "t"}, {"name": "default", "template": "d"}]}"#.utf8).write(to: named)
        #expect(try ChatTemplate.source(tokenizerConfigAt: plain.path) == "{{ messages[0].content }}")
        #expect(try ChatTemplate.source(tokenizerConfigAt: named.path) == "d")
    }
}
