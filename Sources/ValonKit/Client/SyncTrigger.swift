import Synchronization

/// Wakes the `--follow` loop early (docs/ARCHITECTURE.md §12): the NOTIFY listener calls
/// ``fire(serial:)`` with the NOTIFY's serial hint, the ``NetworkChangeMonitor`` without one;
/// the loop waits in ``wait(upTo:)`` between syncs.
///
/// Notifies coalesce: however many arrive while a sync runs, the next ``wait(upTo:)``
/// returns at once, one time. A NOTIFY whose serial hint equals the serial the last sync saw
/// (``synced(serial:)``) is already applied and wakes nothing (with several discovery nodes
/// each sends one per change). The newest hinted serial is kept for the loop to check that
/// the sync it woke really saw it (``behind(_:)``).
public final class SyncTrigger: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: Int, continuation: CheckedContinuation<Bool, Never>)?
        var nextWaiter = 0
        /// A wait whose time ran out (or was cancelled) before it stored its continuation.
        var expired: Int?
        var lastSynced: UInt32?
        var announced: UInt32?
        var ignored = 0
        /// A change of the host's network fired since ``takeNetworkChange()`` last asked.
        var networkChanged = false
    }

    private let state = Mutex(State())

    public init() {}

    /// A NOTIFY arrived (from the listener's thread); `serial` is its hint, if it had one.
    public func fire(serial: UInt32?) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let serial {
                if serial == state.lastSynced {
                    state.ignored += 1
                    return nil
                }
                if let announced = state.announced, !DNSNotify.serial(serial, isNewerThan: announced) {
                    // An older or equal hint: the newer one stands.
                } else {
                    state.announced = serial
                }
            }
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }

    /// The host's addresses or routes changed (``NetworkChangeMonitor``): wakes the loop as a
    /// NOTIFY does, and the sync it wakes is a whole one (this host may have moved).
    public func fireNetworkChange() {
        state.withLock { $0.networkChanged = true }
        fire(serial: nil)
    }

    /// Whether the network changed since the last call.
    public func takeNetworkChange() -> Bool {
        state.withLock { state in
            defer { state.networkChanged = false }
            return state.networkChanged
        }
    }

    /// Waits until a NOTIFY fires (`true`; at once when one fired since the last wait) or
    /// `duration` passes (`false`). A cancelled task returns `false` at once.
    public func wait(upTo duration: Duration) async -> Bool {
        if state.withLock({ state in
            defer { state.pending = false }
            return state.pending
        }) { return true }
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(for: duration)
            self.timeOut(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let fired = state.withLock { state -> Bool? in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled || state.expired == id { return false }
                    state.waiter = (id, continuation)
                    return nil
                }
                if let fired { continuation.resume(returning: fired) }
            }
        } onCancel: {
            self.timeOut(id)
        }
    }

    private func timeOut(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.expired = id
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: false)
    }

    /// The loop synced and the zone's serial was `serial` (`nil`: the sync failed). Clears
    /// the announced serial once a sync has seen it or one newer.
    public func synced(serial: UInt32?) {
        guard let serial else { return }
        state.withLock { state in
            state.lastSynced = serial
            if let announced = state.announced, !DNSNotify.serial(announced, isNewerThan: serial) {
                state.announced = nil
            }
        }
    }

    /// The newest serial a NOTIFY announced that is newer than `serial`, the one the last sync
    /// saw: the node that answered the sync has not caught up with the one that notified yet.
    public func behind(_ serial: UInt32?) -> UInt32? {
        state.withLock { state in
            guard let announced = state.announced else { return nil }
            guard let serial else { return announced }
            return DNSNotify.serial(announced, isNewerThan: serial) ? announced : nil
        }
    }

    /// Forgets the announced serial (the loop gave up catching up with it).
    public func forgetAnnounced() {
        state.withLock { $0.announced = nil }
    }

    /// NOTIFYs that woke nothing because their serial was the one already synced.
    public var ignoredCount: Int { state.withLock { $0.ignored } }
}
