/// The Python file an HF export writes beside a model whose blocks have different FFN widths,
/// so that `AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)` builds it.
///
/// Stock transformers builds every block's MLP `intermediate_size` wide. The file defines a
/// subclass of the family's config class that carries `intermediate_sizes` (one width per block)
/// and a subclass of the family's `...ForCausalLM` that, once the stock model is built, replaces
/// each narrower block's MLP by the family's own MLP class built at that width. Nothing else
/// differs, and only public transformers classes are used: the config and model classes by
/// name, the MLP class through `type(layer.mlp)`. `config.json` names the classes in `auto_map`
/// and `architectures`.
public enum HuggingFaceModelingFile {
    /// The file's name in the folder (and the module `auto_map` refers to).
    public static let fileName = "modeling_cfsp.py"

    /// The transformers classes of a family, by config.json's `model_type`.
    struct FamilyClasses: Equatable {
        var config: String
        var model: String
    }

    /// `model_type` -> the classes the subclasses extend.
    static let familyClasses: [String: FamilyClasses] = [
        "llama": FamilyClasses(config: "LlamaConfig", model: "LlamaForCausalLM"),
        "mistral": FamilyClasses(config: "MistralConfig", model: "MistralForCausalLM"),
        "qwen2": FamilyClasses(config: "Qwen2Config", model: "Qwen2ForCausalLM"),
        "qwen3": FamilyClasses(config: "Qwen3Config", model: "Qwen3ForCausalLM"),
        "gemma3_text": FamilyClasses(config: "Gemma3TextConfig", model: "Gemma3ForCausalLM"),
    ]

    /// What a per-layer-width export adds: the file's text and the config.json fields that
    /// point at it. Nil when every block has the same width (the stock class loads the folder).
    /// - Throws: `ExportError.unsupportedModel` for a `model_type` without a known class.
    static func make(for config: LlamaConfig) throws -> (source: String, configFields: [(String, String)])? {
        guard Set(config.intermediateSizes).count > 1 else { return nil }
        let fields = try config.family.huggingFaceFields(config)
        // Field values are JSON text: `"llama"`, quotes included.
        let modelType = fields.last { $0.0 == "model_type" }.map { String($0.1.dropFirst().dropLast()) } ?? ""
        guard let classes = familyClasses[modelType] else {
            throw ExportError.unsupportedModel("no transformers class is known for model_type \(modelType.debugDescription) with per-layer FFN widths")
        }
        let configClass = "Cfsp" + classes.config
        let modelClass = "Cfsp" + classes.model
        let module = String(fileName.dropLast(3))
        return (source(classes), [
            ("architectures", "[\"\(modelClass)\"]"),
            ("auto_map", "{\"AutoConfig\": \"\(module).\(configClass)\", \"AutoModelForCausalLM\": \"\(module).\(modelClass)\"}"),
        ])
    }

    /// The Python source for one family.
    static func source(_ classes: FamilyClasses) -> String {
        let config = classes.config, model = classes.model
        return #"""
        """Per-layer FFN widths for transformers' \#(model), written by cfsp's Hugging Face export.

        The model beside this file was structurally pruned: each block keeps its own number of FFN
        neurons, listed one per layer in config.json's `intermediate_sizes`. Stock transformers builds
        every MLP `intermediate_size` wide; these subclasses build block i's MLP `intermediate_sizes[i]`
        wide and are otherwise the family's own classes. Load the folder with

            AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)
        """
        import copy

        from transformers import \#(config), \#(model)


        class Cfsp\#(config)(\#(config)):
            """\#(config) with `intermediate_sizes`, the FFN width of each block."""

            def __init__(self, intermediate_sizes=None, **kwargs):
                super().__init__(**kwargs)
                if intermediate_sizes is None:
                    intermediate_sizes = [self.intermediate_size] * self.num_hidden_layers
                if len(intermediate_sizes) != self.num_hidden_layers:
                    raise ValueError(
                        f"intermediate_sizes has {len(intermediate_sizes)} widths for {self.num_hidden_layers} layers"
                    )
                self.intermediate_sizes = [int(width) for width in intermediate_sizes]


        class Cfsp\#(model)(\#(model)):
            """\#(model) whose block i has an MLP `config.intermediate_sizes[i]` wide."""

            config_class = Cfsp\#(config)

            def __init__(self, config):
                super().__init__(config)
                for layer, width in zip(self.model.layers, config.intermediate_sizes):
                    if width != layer.mlp.intermediate_size:
                        narrow = copy.copy(config)
                        narrow.intermediate_size = width
                        layer.mlp = type(layer.mlp)(narrow)

        """#
    }
}
