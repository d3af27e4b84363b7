/// How a pruned model was made, recorded in its exports so that a file says where it came
/// from: GGUF metadata under `cfsp.` (`cfspGGUFEntries`), config.json under `cfsp`
/// (`configJSON`), and a `general.name` such as "SmolLM2 135M Instruct (cfsp 30%)".
public struct PruningProvenance: Sendable, Equatable {
    /// The source model's name (its GGUF `general.name`, or the file or folder name).
    public var sourceName: String
    /// The file or folder the source model was loaded from.
    public var sourcePath: String
    /// The pruning method (`PruningMethod.rawValue`: `cfsp`, `wanda-sp`, ...).
    public var method: String
    /// The FFN sparsity asked for, in [0, 1).
    public var sparsity: Double
    /// Whether every block was pruned to the same width.
    public var uniformWidths: Bool
    /// Calibration windows and their length in tokens (0 when the method needs no calibration).
    public var calibrationWindows: Int
    public var calibrationWindowSize: Int
    /// Where the calibration text came from, in words (a path, "inline text", "token ids"), if known.
    public var calibrationText: String?
    /// The structures removed and what `sparsity` counted, when not FFN neurons at an FFN
    /// sparsity (nil: the paper's setting).
    public var structures: [String]? = nil
    public var target: String? = nil

    /// A record from its parts.
    public init(sourceName: String, sourcePath: String, method: String, sparsity: Double, uniformWidths: Bool,
                calibrationWindows: Int, calibrationWindowSize: Int, calibrationText: String?) {
        self.sourceName = sourceName
        self.sourcePath = sourcePath
        self.method = method
        self.sparsity = sparsity
        self.uniformWidths = uniformWidths
        self.calibrationWindows = calibrationWindows
        self.calibrationWindowSize = calibrationWindowSize
        self.calibrationText = calibrationText
    }

    /// The sparsity as a percentage without trailing zeros: "30%", "12.5%".
    public var sparsityPercent: String {
        let percent = (sparsity * 1000).rounded() / 10
        return (percent == percent.rounded() ? String(Int(percent)) : String(percent)) + "%"
    }

    /// The exported model's name: the source's, then the method and sparsity in parentheses
    /// ("SmolLM2 135M Instruct (cfsp 30%)"; other methods are named: "(cfsp wanda-sp 30%)").
    public var modelName: String {
        var how = method == "cfsp" ? "cfsp \(sparsityPercent)" : "cfsp \(method) \(sparsityPercent)"
        if let structures { how += " " + structures.joined(separator: "+") }
        if let target, target == "parameters" { how += " of parameters" }
        return "\(sourceName) (\(how))"
    }

    /// The `cfsp.*` GGUF metadata entries.
    var ggufEntries: [GGUFMetadataEntry] {
        var entries = [
            GGUFMetadataEntry("cfsp.source.name", .string(sourceName)),
            GGUFMetadataEntry("cfsp.source.path", .string(sourcePath)),
            GGUFMetadataEntry("cfsp.pruning.method", .string(method)),
            GGUFMetadataEntry("cfsp.pruning.sparsity", .float32(Float(sparsity))),
            GGUFMetadataEntry("cfsp.pruning.uniform_widths", .bool(uniformWidths)),
            GGUFMetadataEntry("cfsp.calibration.windows", .uint32(UInt32(clamping: calibrationWindows))),
            GGUFMetadataEntry("cfsp.calibration.window_size", .uint32(UInt32(clamping: calibrationWindowSize))),
        ]
        if let calibrationText {
            entries.append(GGUFMetadataEntry("cfsp.calibration.text", .string(calibrationText)))
        }
        if let structures { entries.append(GGUFMetadataEntry("cfsp.pruning.structures", .string(structures.joined(separator: ",")))) }
        if let target { entries.append(GGUFMetadataEntry("cfsp.pruning.target", .string(target))) }
        return entries
    }

    /// The value of config.json's `cfsp` key, as JSON text.
    var configJSON: String {
        let literal = JSONTextWriter.literal
        var calibration = "\"windows\": \(calibrationWindows), \"window_size\": \(calibrationWindowSize)"
        if let calibrationText { calibration += ", \"text\": " + literal(calibrationText) }
        return "{\"source\": {\"name\": \(literal(sourceName)), \"path\": \(literal(sourcePath))}, "
            + "\"pruning\": {\"method\": \(literal(method)), \"sparsity\": \(sparsity), \"uniform_widths\": \(uniformWidths)}, "
            + "\"calibration\": {\(calibration)}}"
    }
}
