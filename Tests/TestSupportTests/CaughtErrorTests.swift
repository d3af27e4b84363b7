import TestSupport
import Testing

private struct Refusal: Error, Equatable { var reason: String }

@Suite("caughtError")
struct CaughtErrorTests {
    @Test("hands back what the body throws, and nil when it returns")
    func sync() {
        #expect(caughtError { throw Refusal(reason: "no") } as? Refusal == Refusal(reason: "no"))
        #expect(caughtError { 42 } == nil)
    }

    @Test("the same for an asynchronous body")
    func async() async {
        let thrown = await caughtError { () async throws -> Int in
            await Task.yield()
            throw Refusal(reason: "later")
        }
        #expect(thrown as? Refusal == Refusal(reason: "later"))
        #expect(await caughtError { () async throws -> Int in await Task.yield(); return 1 } == nil)
    }
}
