/// A file an HF export puts into its folder besides `config.json` and the weights.
public enum HuggingFaceFolderFile: Sendable, Equatable {
    /// A file written with these bytes.
    case contents(name: String, bytes: [UInt8])
    /// A copy of the file at `from` (a source folder's tokenizer files).
    case copy(name: String, from: String)

    /// The file's name in the folder.
    public var name: String {
        switch self {
        case .contents(let name, _), .copy(let name, _): name
        }
    }
}
