import Core
import RPC

/// The formats `export` writes.
public enum ExportFormat: String, Codable, Sendable, CaseIterable, WireEnum {
    /// A llama.cpp GGUF file.
    case gguf
    /// A Hugging Face folder (config.json, safetensors, tokenizer files).
    case hf
}

/// Params of `export`.
public struct ExportParams: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// The file format.
    public var format: ExportFormat
    /// A `.gguf` file, or a folder for `hf`.
    public var path: String
    /// The precision of the written weights.
    public var precision = ExportPrecision.f32
    /// Replace an existing file or previous export folder.
    public var overwrite = false
    /// `general.name` to record in a GGUF export.
    public var name: String?

    /// Params writing `model` as `format` to `path`; omitted settings keep their defaults.
    public init(model: String, format: ExportFormat, path: String, precision: ExportPrecision? = nil,
                overwrite: Bool? = nil, name: String? = nil) {
        self.model = model
        self.format = format
        self.path = path
        if let precision { self.precision = precision }
        if let overwrite { self.overwrite = overwrite }
        self.name = name
    }

    /// The schema name.
    public static let wireName = "exportParams"
    /// What the object is.
    public static let wireDoc = "what export writes, and where"
    /// Placeholders, default settings.
    public static let blank = ExportParams(model: "", format: .gguf, path: "")
    /// Every member.
    public static let members: [WireMember<ExportParams>] = [
        .required("model", \.model, "the model handle"),
        .required("format", \.format, "the file format"),
        .required("path", \.path, "a .gguf file, or a folder for hf", string: .path),
        .defaulted("precision", \.precision, "the precision of the written weights"),
        .defaulted("overwrite", \.overwrite, "replace an existing file, or a previous hf export"),
        .optional("name", \.name, "general.name recorded in a GGUF export"),
    ]

    /// The precisions a format accepts: every one for GGUF, the dense ones for `hf`
    /// (safetensors has no quantized types).
    public static func precisions(for format: ExportFormat) -> [ExportPrecision] {
        format == .gguf ? ExportPrecision.allCases : ExportPrecision.allCases.filter { !$0.isQuantized }
    }

    /// Refuses a quantized precision for an `hf` export before anything is written.
    public func validateWire() throws(WireError) {
        let accepted = Self.precisions(for: format)
        guard accepted.contains(precision) else {
            let list = accepted.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw WireError(
                member: "precision",
                message: "'precision' must be one of \(list) for format \"\(format.rawValue)\", not \"\(precision.rawValue)\" (the quantized types exist only in GGUF)",
                details: ["accepted": .array(accepted.map { .string($0.rawValue) })])
        }
    }
}

extension TensorTypeTally: WireObject {
    /// The schema name.
    public static let wireName = "tensorTypeTally"
    /// What the object is.
    public static let wireDoc = "the tensors an export stored in one type"
    /// Placeholders.
    public static let blank = TensorTypeTally(type: "", tensors: 0, bytes: 0)
    /// Every member.
    public static let members: [WireMember<TensorTypeTally>] = [
        .required("type", \.type, "the stored type: ggml's name for GGUF (Q4_K, Q6_K, Q8_0, F32, ...), the safetensors dtype for hf (F32, F16, BF16)"),
        .required("tensors", \.tensors, "tensors stored in this type", range: .atLeast(1)),
        .required("bytes", \.bytes, "bytes of their data", range: .atLeast(0)),
    ]
}

/// Result of `export`.
public struct ExportResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The file format.
    public var format: ExportFormat
    /// The file or folder written.
    public var path: String
    /// The precision of the written weights.
    public var precision: ExportPrecision
    /// Bytes written.
    public var bytes: Int
    /// Whether the export carries a tokenizer.
    public var hasTokenizer: Bool
    /// Caveats of the export in plain words.
    public var notes: [String]
    /// The tensors of each stored type, the most bytes first.
    public var tensorTypes: [TensorTypeTally]

    /// The result of writing `model`.
    public init(model: String, format: ExportFormat, path: String, precision: ExportPrecision, bytes: Int,
                hasTokenizer: Bool, notes: [String], tensorTypes: [TensorTypeTally] = []) {
        self.model = model
        self.format = format
        self.path = path
        self.precision = precision
        self.bytes = bytes
        self.hasTokenizer = hasTokenizer
        self.notes = notes
        self.tensorTypes = tensorTypes
    }

    /// The schema name.
    public static let wireName = "exportResult"
    /// What the object is.
    public static let wireDoc = "a model written to disk"
    /// Placeholders.
    public static let blank = ExportResult(model: "", format: .gguf, path: "", precision: .f32, bytes: 0,
                                           hasTokenizer: false, notes: [])
    /// Every member.
    public static let members: [WireMember<ExportResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("format", \.format, "the file format"),
        .required("path", \.path, "the file or folder written"),
        .required("precision", \.precision, "the precision of the written weights"),
        .required("bytes", \.bytes, "bytes written"),
        .required("hasTokenizer", \.hasTokenizer, "whether the export carries a tokenizer"),
        .required("notes", \.notes, "caveats of the export in plain words"),
        .required("tensorTypes", \.tensorTypes,
                  "the tensors of each stored type, the most bytes first (a quantized GGUF mixes types per tensor, as llama.cpp's mixes do)"),
        .derived("tensors", "tensors written") { $0.tensorTypes.reduce(0) { $0 + $1.tensors } },
    ]
}

/// `export`: writes a model as GGUF or a Hugging Face folder.
public enum ExportRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = ExportParams
    /// The result type.
    public typealias Response = ExportResult
    /// The JSON-RPC method name.
    public static let method = "export"
    /// What the method does.
    public static let summary = "Writes a model as a GGUF file or a Hugging Face folder."
}
