import Foundation

/// Where the daemon's socket is by default: `$XDG_RUNTIME_DIR/cfsp.sock`, else `/tmp/cfsp-$UID.sock`.
enum SocketPath {
    static var `default`: String {
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return (runtime as NSString).appendingPathComponent("cfsp.sock")
        }
        return "/tmp/cfsp-\(getuid()).sock"
    }
}
