import Core
import FuzzSupport

/// libFuzzer entry: a safetensors file as cfsp opens one: the length-prefixed JSON header,
/// validated against the file size (`SafetensorsFile`), then every tensor converted to f32.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let file = MappedFile(copying: fuzzBytes(data, size), path: "fuzz.safetensors")
    guard let tensors = try? SafetensorsFile(file: file) else { return 0 }
    for name in tensors.tensorNames {
        guard let descriptor = tensors.descriptor(name) else {
            fuzzCheck(false, "\(name) is listed but has no descriptor")
            return 0
        }
        do {
            let values = try tensors.floats(name)
            fuzzCheck(values.count == descriptor.shape.reduce(1, *), "\(name): \(values.count) values for shape \(descriptor.shape)")
        } catch {
            fuzzCheck(false, "reading listed tensor \(name) threw \(error)")
        }
    }
    return 0
}
