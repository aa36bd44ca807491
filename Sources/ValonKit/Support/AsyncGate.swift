import Synchronization

/// Mutual exclusion for async code, first come first served: ``enter()`` returns at once
/// when the gate is open and otherwise suspends (without holding a thread) until every
/// earlier caller has called ``leave()``. The etcd client uses one per endpoint so that one
/// request at a time owns the endpoint's libcurl handles.
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var next = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Waits until the caller holds the gate.
    func enter() async {
        let entered = state.withLock { state -> Bool in
            guard state.held else {
                state.held = true
                return true
            }
            return false
        }
        if entered { return }
        await withCheckedContinuation { continuation in
            let nowHeld = state.withLock { state -> Bool in
                guard state.held else {
                    state.held = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if nowHeld { continuation.resume() }
        }
    }

    /// How many callers wait to enter (for tests and diagnostics).
    var waitingCount: Int { state.withLock { $0.waiting.count - $0.next } }

    /// Hands the gate to the longest waiting caller, or opens it.
    func leave() {
        let successor = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.next < state.waiting.count else {
                state.waiting.removeAll(keepingCapacity: true)
                state.next = 0
                state.held = false
                return nil
            }
            let successor = state.waiting[state.next]
            state.next += 1
            if state.next >= 64, state.next * 2 >= state.waiting.count {
                state.waiting.removeFirst(state.next)
                state.next = 0
            }
            return successor
        }
        successor?.resume()
    }
}
