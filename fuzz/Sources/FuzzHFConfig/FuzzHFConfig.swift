import Core
import Foundation
import FuzzSupport

/// libFuzzer entry: a Hugging Face `config.json` as cfsp opens a folder: read into a
/// `LlamaConfig` (`HuggingFaceConfig`), the tensors it implies listed and checked (here against
/// a folder with no weights, which must be refused), and written back as cfsp exports it
/// (`HuggingFaceConfigWriter`): what it writes must read back as the same configuration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHFConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let json = Data(fuzzBytes(data, size))
    guard let config = try? HuggingFaceConfig.llamaConfig(fromJSON: json) else { return 0 }
    do {
        try HuggingFaceTensorLayout.validate(config) { _ in nil }
        fuzzCheck(false, "a configuration without tensors passed the tensor check")
    } catch {}
    guard let written = try? HuggingFaceConfigWriter.json(for: config) else { return 0 }
    do {
        let reread = try HuggingFaceConfig.llamaConfig(fromJSON: Data(written.utf8))
        fuzzCheck(reread == config, "written and read back, \(config)\nbecame \(reread)\nvia \(written)")
    } catch {
        fuzzCheck(false, "the written config.json does not read back (\(error)):\n\(written)")
    }
    return 0
}
