import Foundation
import RPC
import TestSupport

// RPC round trips of a trivial request (`model/list` on an empty daemon) against the real
// `cfspd`, over stdio pipes and over its Unix socket: round trips per second (one request in
// flight), median and p99 latency, and the daemon's resident memory after every 10% of the
// requests (it must stay flat).
//
// Usage: RPCBench [--cfspd PATH] [--requests N] [--framing content-length|ndjson]

/// The benchmark's settings, from the command line.
struct BenchSettings {
    var executable: String
    var requests: Int
    var framing: Framing

    init(arguments: [String]) {
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        executable = option("--cfspd") ?? BuiltProduct.executable("cfspd") ?? "cfspd"
        requests = Int(option("--requests") ?? "") ?? 100_000
        framing = Framing(rawValue: option("--framing") ?? "content-length") ?? .contentLength
    }
}

func measure(transport: String, daemon: DaemonProcess, settings: BenchSettings) async throws {
    let requests = settings.requests
    let framing = settings.framing
    let connection = daemon.client.connection
    _ = try await connection.send(InitializeRequest.self, InitializeParams(clientInfo: .init(name: "RPCBench")))
    for _ in 0..<1000 { _ = try await connection.sendRequest(method: "model/list", params: [:]) }
    var latencies: [Double] = []
    latencies.reserveCapacity(requests)
    var memory: [Int] = [daemon.residentKiB]
    let step = max(requests / 10, 1)
    let start = ContinuousClock.now
    for index in 1...requests {
        let sent = ContinuousClock.now
        _ = try await connection.sendRequest(method: "model/list", params: [:])
        let elapsed = ContinuousClock.now - sent
        latencies.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        if index % step == 0 { memory.append(daemon.residentKiB) }
    }
    let total = ContinuousClock.now - start
    let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
    latencies.sort()
    let median = latencies[latencies.count / 2]
    let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
    print(String(format: "%-7@ %@  %8d requests  %9.0f round trips/s  median %6.1f µs  p99 %6.1f µs",
                 transport as NSString, framing.rawValue as NSString, requests, Double(requests) / seconds, median, p99))
    print("        daemon RSS (KiB) after warm-up, then every 10%: \(memory.map(String.init).joined(separator: " "))")
    let growth = (memory.last ?? 0) - (memory.dropFirst().first ?? 0)
    print("        growth from 10% to 100% of the requests: \(growth) KiB")
}

func runBench(_ settings: BenchSettings) async -> Int32 {
    let executable = settings.executable, framing = settings.framing
    do {
    let stdio = try DaemonProcess(executable: executable, arguments: [], framing: framing, socketPath: nil)
    try await measure(transport: "stdio", daemon: stdio, settings: settings)
    print("        cfspd exit status after SIGTERM: \(stdio.stop())")
    let folder = try ScratchFolder(prefix: "rpcbench")
    let socketPath = folder.file("cfspd.sock")
    let socket = try DaemonProcess(
        executable: executable, arguments: ["--no-stdio", "--socket", socketPath], framing: framing, socketPath: socketPath)
    try await measure(transport: "socket", daemon: socket, settings: settings)
    print("        cfspd exit status after SIGTERM: \(socket.stop())")
} catch {
    FileHandle.standardError.write(Data("RPCBench: \(error)\n".utf8))
    return 1
    }
    return 0
}

exit(await runBench(BenchSettings(arguments: CommandLine.arguments)))
