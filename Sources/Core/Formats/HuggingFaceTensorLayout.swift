/// The tensor names and shapes a Hugging Face checkpoint of a given config has (PyTorch
/// `[out, in]` order), and the check that a set of tensors matches them: `ModelTensorLayout`
/// under the family's Hugging Face names.
public enum HuggingFaceTensorLayout {
    /// Every tensor the model needs with its expected shape, in checkpoint order.
    public static func expectedTensors(for config: LlamaConfig) throws -> [(name: String, shape: [Int])] {
        ModelTensorLayout.expected(config, naming: try config.family.huggingFaceNaming).map { ($0.name, $0.shape) }
    }

    /// Throws `HuggingFaceError.missingTensor` or `.shapeMismatch` (naming the tensor, the
    /// expected and the actual shape) for the first tensor of `config` that `shapeOf` lacks or
    /// gets wrong.
    public static func validate(_ config: LlamaConfig, shapeOf: (String) -> [Int]?) throws {
        do {
            try ModelTensorLayout.validate(config, naming: try config.family.huggingFaceNaming, shapeOf: shapeOf)
        } catch ModelError.missingTensor(let name) {
            throw HuggingFaceError.missingTensor(tensor: name)
        } catch ModelError.inconsistentShape(let name, let expected, let actual) {
            throw HuggingFaceError.shapeMismatch(tensor: name, expected: expected, actual: actual)
        }
    }
}
