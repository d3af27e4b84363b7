/// Everything that can be wrong with a GGUF file, each case naming what and where, so the user
/// can tell a truncated download from an unsupported model.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    /// The first four bytes are not `GGUF`.
    case badMagic(found: [UInt8])
    /// A version this reader does not implement (only 2 and 3 are).
    case unsupportedVersion(UInt32)
    /// The header reads as version 2 or 3 only when byte-swapped.
    case bigEndian
    /// The file ends before a structure it declares (`what`) is complete.
    case truncated(what: String, offset: Int, needed: Int, fileSize: Int)
    /// A metadata value type id outside the GGUF specification.
    case invalidValueType(key: String, typeID: UInt32)
    /// Arrays nested deeper than the reader allows (a corrupt file, in practice).
    case nestingTooDeep(key: String, limit: Int)
    /// The same metadata key appears twice.
    case duplicateKey(String)
    /// Two tensors share a name.
    case duplicateTensor(String)
    /// A metadata value has the wrong type for its key.
    case metadataTypeMismatch(key: String, expected: String, found: String)
    /// A metadata value has an impossible value (`reason` says which).
    case invalidMetadata(key: String, reason: String)
    /// A required metadata key is absent.
    case missingMetadata(key: String)
    /// A tensor with zero, negative or too many dimensions, or an element count that overflows.
    case invalidTensorShape(tensor: String, dims: [UInt64])
    /// A ggml type id this reader does not know at all.
    case unknownTensorType(tensor: String, typeID: UInt32)
    /// A known ggml type that cfsp cannot dequantize.
    case unsupportedTensorType(tensor: String, typeID: UInt32, typeName: String)
    /// A quantized tensor whose rows are not a whole number of blocks.
    case rowNotBlockAligned(tensor: String, rowLength: Int, blockSize: Int)
    /// A tensor's data offset is not a multiple of the file's alignment.
    case misalignedTensorData(tensor: String, offset: Int, alignment: Int)
    /// A tensor's data reaches past the end of the file.
    case tensorDataOutOfBounds(tensor: String, start: Int, end: Int, fileSize: Int)
    /// No tensor with that name.
    case tensorNotFound(String)
    /// The architecture is not one cfsp can run.
    case unsupportedArchitecture(String)
    /// A tensor the family's description requires (for this configuration) is absent.
    case familyTensorMissing(tensor: String, family: String)
    /// A tensor's shape contradicts the model configuration.
    case tensorShapeMismatch(tensor: String, expected: [Int], actual: [Int])
    /// Metadata and tensors disagree, or the model uses a feature `LlamaConfig` cannot express.
    case inconsistentModel(String)

    public var description: String {
        switch self {
        case .badMagic(let found):
            let hex = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "not a GGUF file: it starts with bytes [\(hex)] instead of 'GGUF'"
        case .unsupportedVersion(let version):
            return "GGUF version \(version) is not supported (versions 2 and 3 are); re-convert the model with a current llama.cpp"
        case .bigEndian:
            return "this GGUF file is big-endian; only little-endian GGUF files are supported"
        case .truncated(let what, let offset, let needed, let fileSize):
            return "GGUF file is truncated: \(what) needs \(needed) bytes at offset \(offset), but the file has \(fileSize) bytes (incomplete download?)"
        case .invalidValueType(let key, let typeID):
            return "metadata key '\(key)' has value type id \(typeID), which is not a GGUF value type (0...12): corrupt file?"
        case .nestingTooDeep(let key, let limit):
            return "metadata key '\(key)' nests arrays deeper than \(limit) levels: corrupt file?"
        case .duplicateKey(let key):
            return "metadata key '\(key)' appears more than once"
        case .duplicateTensor(let name):
            return "tensor '\(name)' appears more than once in the tensor table"
        case .metadataTypeMismatch(let key, let expected, let found):
            return "metadata key '\(key)' should be \(expected) but is \(found)"
        case .invalidMetadata(let key, let reason):
            return "metadata key '\(key)' is invalid: \(reason)"
        case .missingMetadata(let key):
            return "required metadata key '\(key)' is missing"
        case .invalidTensorShape(let tensor, let dims):
            return "tensor '\(tensor)' has an invalid shape \(dims) (GGUF order, innermost first)"
        case .unknownTensorType(let tensor, let typeID):
            return "tensor '\(tensor)' has unknown ggml type id \(typeID)"
        case .unsupportedTensorType(let tensor, let typeID, let typeName):
            return "tensor '\(tensor)' has ggml type \(typeName) (id \(typeID)), which cfsp cannot read; supported: \(TensorType.allCases.map { $0.rawValue.uppercased() }.joined(separator: ", "))"
        case .rowNotBlockAligned(let tensor, let rowLength, let blockSize):
            return "tensor '\(tensor)' has rows of \(rowLength) values, not a multiple of its type's block size \(blockSize)"
        case .misalignedTensorData(let tensor, let offset, let alignment):
            return "tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorDataOutOfBounds(let tensor, let start, let end, let fileSize):
            return "tensor '\(tensor)' data spans bytes \(start)..<\(end), past the end of the \(fileSize)-byte file (truncated?)"
        case .tensorNotFound(let name):
            return "no tensor named '\(name)' in the GGUF file"
        case .unsupportedArchitecture(let arch):
            return "architecture '\(arch)' is not supported: cfsp reads GGUF models of architecture \(GGUFFile.supportedArchitectures.map { "'\($0)'" }.joined(separator: ", "))"
        case .familyTensorMissing(let tensor, let family):
            return "no tensor named '\(tensor)' in the GGUF file: a \(family) model with this configuration needs it"
        case .tensorShapeMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has shape \(actual) but the model configuration implies \(expected)"
        case .inconsistentModel(let reason):
            return "inconsistent model: \(reason)"
        }
    }
}
