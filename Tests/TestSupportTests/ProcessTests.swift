import Foundation
import TestSupport
import Testing

@Suite("TestProcess and ChildProcess")
struct ProcessTests {
    @Test("TestProcess.run returns stdout; a failure carries the exit status and stderr")
    func runToCompletion() throws {
        let stdout = try TestProcess.run(["sh", "-c", "printf 'out'; printf 'noise' >&2"], what: "a quiet script")
        #expect(String(decoding: stdout, as: UTF8.self) == "out")
        let error = #expect(throws: TestProcess.Failure.self) {
            try TestProcess.run(["sh", "-c", "echo 'it broke' >&2; exit 3"], what: "a failing script")
        }
        let description = error?.description ?? ""
        #expect(description.hasPrefix("a failing script failed (exit 3): it broke"))
    }

    @Test("a child echoes what it is sent, sees end of input when stdin closes, and exits 0")
    func echo() throws {
        let child = try ChildProcess(executable: "/bin/cat", arguments: [])
        let message = Array("hello\nworld\n".utf8)
        #expect(child.write(message))
        child.closeInput()
        child.closeInput()  // a second close does nothing
        #expect(child.readOutputToEnd() == message)
        #expect(child.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("a child still running at the deadline is killed, and the wait says so")
    func killedAtDeadline() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        defer { child.closeInput(); child.closeOutput() }
        let start = ContinuousClock.now
        #expect(child.waitForExit(timeout: .milliseconds(50)) == nil)
        #expect(!child.isRunning)
        #expect(ContinuousClock.now - start < .seconds(20))
    }
}
