import Foundation

/// Errors in words for people: Foundation's file and JSON errors without their `Error Domain=...`
/// dumps, and text quoted from untrusted files cut to a short excerpt with control characters
/// escaped.
public enum ErrorText {
    /// Longest excerpt `excerpt` keeps.
    public static let excerptLimit = 200

    /// What went wrong, in words: "no such file", "permission denied", "not valid JSON (...)".
    public static func words(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return strerrorText(posix.code.rawValue) }
        if let file = error as? MappedFileError { return file.reason }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain else {
            if ns.domain == NSPOSIXErrorDomain { return strerrorText(Int32(ns.code)) }
            return excerpt("\(error)", limit: 2 * excerptLimit)
        }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileReadTooLarge: return "the file is too large to read"
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return "the file name is invalid"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
            return "the file is not valid UTF-8 text"
        case .fileWriteOutOfSpace: return "the disk is full"
        case .fileWriteFileExists: return "a file already exists there"
        case .fileWriteVolumeReadOnly: return "the volume is read-only"
        case .propertyListReadCorrupt:
            let detail = (ns.userInfo[NSDebugDescriptionErrorKey] as? String).map { " (\(excerpt($0)))" } ?? ""
            return "not valid JSON\(detail)"
        default:
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                return strerrorText(Int32(underlying.code))
            }
            if let posix = ns.userInfo[NSUnderlyingErrorKey] as? POSIXError { return strerrorText(posix.code.rawValue) }
            return ns.code == CocoaError.fileReadCorruptFile.rawValue
                ? "the file is corrupt or cannot be read" : "the file cannot be read or written (error \(ns.code))"
        }
    }

    /// `text` as a short quote: control characters (NUL, newlines, escapes) written as `\u{..}`
    /// and anything past `limit` characters replaced by "...".
    public static func excerpt(_ text: String, limit: Int = excerptLimit) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { return out + "..." }
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    private static func strerrorText(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}
