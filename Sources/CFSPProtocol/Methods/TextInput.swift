import Core
import RPC

/// How `path` is read: plain UTF-8 text, or JSON Lines with one text per record.
public enum TextFormat: String, Sendable, Codable, CaseIterable, WireEnum {
    /// The whole file is the text.
    case text
    /// One JSON object a line; `field` holds the text, records joined with `separator`.
    case jsonl
}

/// Where a method's tokens come from: exactly one of inline text, a file, token ids or (for
/// `calibrate`) explicit windows. Its members travel in the method's params themselves.
public struct TextInput: Sendable, Equatable, WireObject {
    /// Inline text, tokenized with the model's tokenizer.
    public var text: String?
    /// A plain text file, or JSON Lines when it ends in `.jsonl` or `format` is `jsonl`.
    public var path: String?
    /// How `path` is read (default: from its extension).
    public var format: TextFormat?
    /// The JSONL member holding the text.
    public var field: String = "text"
    /// Joins JSONL records.
    public var separator: String = "\n\n"
    /// Token ids used as they are.
    public var tokens: [Int]?
    /// Explicit token windows (`calibrate` only).
    public var windows: [[Int]]?

    /// An input from one source; the others stay nil.
    public init(text: String? = nil, path: String? = nil, tokens: [Int]? = nil, windows: [[Int]]? = nil) {
        self.text = text
        self.path = path
        self.tokens = tokens
        self.windows = windows
    }

    /// The schema name.
    public static let wireName = "textInput"
    /// What the object is.
    public static let wireDoc = "where the tokens come from: exactly one of text, path, tokens (or windows)"
    /// No source at all (decoding fills one in).
    public static let blank = TextInput()

    /// The members every text input has (`evaluate`, `finetune`).
    public static let members: [WireMember<TextInput>] = [
        .optional("text", \.text, "inline text, tokenized with the model's tokenizer"),
        .optional("path", \.path, "a UTF-8 text file, or JSON Lines when it ends in .jsonl (or format is jsonl)",
                  string: .path),
        .optional("format", \.format, "how path is read: text or jsonl", note: "from the extension of path"),
        .defaulted("field", \.field, "the JSONL member holding the text"),
        .defaulted("separator", \.separator, "joins JSONL records"),
        .optional("tokens", \.tokens, "token ids, used as they are", range: .atLeast(0)),
    ]

    /// The members of `calibrate`'s input: those above and explicit windows.
    public static let membersWithWindows: [WireMember<TextInput>] = members + [
        .optional("windows", \.windows, "explicit token windows, each used as one window", range: .atLeast(0)),
    ]

    /// The members of the other methods' input: `windows` refused, saying where it belongs.
    public static let membersWithoutWindows: [WireMember<TextInput>] = members + [
        .refused("windows", "is accepted by calibrate only"),
    ]

    /// Whether a source (text, path, tokens or windows) is given.
    public var hasSource: Bool { !sources.isEmpty }

    /// The same input with explicit windows dropped (what an evaluation reads of a calibration input).
    public var withoutWindows: TextInput {
        var input = self
        input.windows = nil
        return input
    }

    /// The source names given, in wire order.
    private var sources: [String] {
        [("text", text != nil), ("path", path != nil), ("tokens", tokens != nil), ("windows", windows != nil)]
            .filter(\.1).map(\.0)
    }

    /// Checks that exactly one source is given (`windows` only where allowed).
    public func validate(allowsWindows: Bool) throws(WireError) {
        let choices = (allowsWindows ? ["text", "path", "tokens", "windows"] : ["text", "path", "tokens"])
            .map { "'\($0)'" }.joined(separator: ", ")
        let given = sources
        guard given.count == 1 else {
            throw .object(given.isEmpty
                ? "give exactly one of \(choices); none was given"
                : "give exactly one of \(choices); got \(given.map { "'\($0)'" }.joined(separator: " and "))")
        }
    }
}
