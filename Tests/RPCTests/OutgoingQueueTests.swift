import RPC
import Testing

@Suite("OutgoingQueue")
struct OutgoingQueueTests {
    @Test("reports for one token coalesce while unwritten; frames keep their order and are never dropped")
    func coalescing() {
        let queue = OutgoingQueue()
        queue.enqueue(Array("begin;".utf8))
        for step in 0..<5 { queue.enqueueReport(Array("A\(step);".utf8), token: .string("a")) }
        queue.enqueueReport(Array("B0;".utf8), token: .int(2))
        queue.enqueue(Array("response;".utf8))
        queue.enqueueReport(Array("A5;".utf8), token: .string("a"))
        queue.enqueue(Array("end;".utf8))
        #expect(queue.coalescedReportCount == 5)
        #expect(String(decoding: queue.dequeue(maxBytes: 1 << 20), as: UTF8.self) == "begin;A5;B0;response;end;")
        #expect(queue.pendingByteCount == 0)
        queue.enqueueReport(Array("A6;".utf8), token: .string("a"))
        #expect(String(decoding: queue.dequeue(maxBytes: 1 << 20), as: UTF8.self) == "A6;")
    }

    @Test("a kept report takes the unwritten report's place and no later report replaces it")
    func keptReports() {
        let queue = OutgoingQueue()
        queue.enqueue(Array("begin;".utf8))
        queue.enqueueReport(Array("load 1;".utf8), token: .string("run"))
        queue.enqueueReport(Array("other;".utf8), token: .string("x"))
        queue.enqueueReport(Array("calibrate;".utf8), token: .string("run"), keep: true)
        queue.enqueueReport(Array("window 1;".utf8), token: .string("run"))
        queue.enqueueReport(Array("evaluate;".utf8), token: .string("run"), keep: true)
        queue.enqueueReport(Array("window 2;".utf8), token: .string("run"))
        queue.enqueueReport(Array("window 3;".utf8), token: .string("run"))
        #expect(String(decoding: queue.dequeue(maxBytes: 1 << 20), as: UTF8.self)
                == "begin;calibrate;other;evaluate;window 3;")
        #expect(queue.pendingByteCount == 0)
        queue.enqueueReport(Array("export;".utf8), token: .string("run"), keep: true)
        #expect(String(decoding: queue.dequeue(maxBytes: 1 << 20), as: UTF8.self) == "export;")
    }

    @Test("dequeue returns whole frames up to the byte budget")
    func budget() {
        let queue = OutgoingQueue()
        for index in 0..<10 { queue.enqueue(Array("frame\(index)|".utf8)) }
        let first = queue.dequeue(maxBytes: 15)
        #expect(String(decoding: first, as: UTF8.self) == "frame0|frame1|")
        var rest: [UInt8] = []
        while case let chunk = queue.dequeue(maxBytes: 1), !chunk.isEmpty { rest += chunk }
        #expect(String(decoding: rest, as: UTF8.self) == (2..<10).map { "frame\($0)|" }.joined())
    }
}
