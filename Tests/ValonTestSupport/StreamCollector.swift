import Foundation

/// Collects watch responses until `enough` says so or `limit` passes, so that a test
/// whose stream stalls fails instead of hanging.
public func collect<Element: Sendable>(
    _ stream: AsyncThrowingStream<Element, any Error>, within limit: Duration,
    until enough: @escaping @Sendable ([Element]) -> Bool
) async throws -> [Element] {
    let collected = Locked<[Element]>([])
    let consumer = Task {
        for try await element in stream {
            collected.value.append(element)
            if enough(collected.value) { return }
        }
    }
    let timer = Task {
        try await Task.sleep(for: limit)
        consumer.cancel()
    }
    defer { timer.cancel() }
    do {
        try await consumer.value
    } catch is CancellationError {
    }
    return collected.value
}
