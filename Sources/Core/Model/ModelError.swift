/// Problems with a model's inputs or structure, each saying what to do about it.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    case emptyInput
    case windowTooLong(tokens: Int, contextLength: Int)
    case inconsistentShape(tensor: String, expected: [Int], actual: [Int])
    case missingTensor(String)
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let id, let vocabularySize):
            return "token id \(id) is out of range: the vocabulary has ids 0..<\(vocabularySize)"
        case .emptyInput:
            return "no tokens to run: give at least one token"
        case .windowTooLong(let tokens, let contextLength):
            return "a window of \(tokens) tokens is longer than the model's context of \(contextLength); use a shorter window"
        case .inconsistentShape(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has shape \(actual) but the model's configuration needs \(expected)"
        case .missingTensor(let name):
            return "the model file has no tensor '\(name)'"
        case .invalidConfig(let why):
            return "invalid model configuration: \(why)"
        }
    }
}

/// Thrown by long operations when their cancellation check says stop.
public struct OperationCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the operation was cancelled" }
}
