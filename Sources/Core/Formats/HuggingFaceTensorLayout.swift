/// The check that a Hugging Face checkpoint holds the tensors a config implies (PyTorch
/// `[out, in]` order): `ModelTensorLayout` under the family's Hugging Face names, with the
/// errors in Hugging Face terms.
public enum HuggingFaceTensorLayout {
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
