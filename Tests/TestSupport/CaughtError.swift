/// The error `body` throws, or nil when it returns: for tests that check what a failure is (its
/// type, code or message), not only that there is one.
public func caughtError<T>(_ body: () throws -> T) -> (any Error)? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The error the asynchronous `body` throws, or nil when it returns.
public func caughtError<T>(_ body: () async throws -> T) async -> (any Error)? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
