import Core
import FuzzCoreSupport
import FuzzSupport

/// libFuzzer entry: a GGUF file as cfsp opens one: header, metadata and tensor table
/// (`GGUFFile`), the model configuration derived and checked from them (`llamaConfig()`), every
/// tensor's data dequantized to f32, and the tokenizer its metadata describes (built and used).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let file = MappedFile(copying: fuzzBytes(data, size), path: "fuzz.gguf")
    guard let gguf = try? GGUFFile(file: file) else { return 0 }
    _ = try? gguf.llamaConfig()
    for tensor in gguf.tensors {
        if let values = try? gguf.floats(tensor.name) {
            fuzzCheck(values.count == tensor.shape.reduce(1, *), "\(tensor.name): \(values.count) values for shape \(tensor.shape)")
        }
    }
    if let tokenizer = try? makeTokenizer(gguf: gguf) {
        exercise(tokenizer)
    }
    return 0
}
