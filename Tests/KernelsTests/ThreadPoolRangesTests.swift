import Kernels
import Synchronization
import Testing

/// `ThreadPool.parallelRanges`: the ranges cover every index exactly once, respect the grain,
/// and short loops stay on the caller.
@Suite("thread pool ranges")
struct ThreadPoolRangesTests {
    /// Every index's visit count, and the ranges handed out.
    final class Visits: Sendable {
        let state: Mutex<(counts: [Int], ranges: [Range<Int>])>
        init(_ count: Int) { state = Mutex((Array(repeating: 0, count: count), [])) }
    }

    @Test(arguments: [(1, 0, 16), (2, 1, 16), (2, 15, 16), (2, 16, 16), (2, 33, 16), (2, 1024, 16), (3, 1000, 7), (4, 5, 1)])
    func coversEachIndexOnce(threads: Int, count: Int, grain: Int) {
        let pool = ThreadPool(threads: threads)
        let visits = Visits(count)
        pool.parallelRanges(count, grain: grain) { range in
            visits.state.withLock { state in
                state.ranges.append(range)
                for i in range { state.counts[i] += 1 }
            }
        }
        let (counts, handedOut) = visits.state.withLock { ($0.counts, $0.ranges) }
        #expect(counts.allSatisfy { $0 == 1 })
        let ranges = handedOut.sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.allSatisfy { !$0.isEmpty })
        if count > 0 {
            // Contiguous and ordered: each range starts where the previous one ended.
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
            // No more than a few ranges per thread, and none cut below the grain unless it is the only one.
            #expect(ranges.count <= 4 * threads)
            if ranges.count > 1 { #expect(ranges.dropLast().allSatisfy { $0.count >= grain }) }
        } else {
            #expect(ranges.isEmpty)
        }
        if count < 2 * grain || threads == 1 { #expect(ranges.count == 1 || count == 0) }
    }
}
