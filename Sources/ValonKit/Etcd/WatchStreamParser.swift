import Foundation

/// Turns the messages of one `/v3/watch` stream into watch responses, and keeps the
/// resume revision: after a batch, the revision after its last event; after a progress
/// notification, the revision after the notified one.
struct WatchStreamParser {
    let what: String
    let endpoint: String
    let state: WatchState
    let continuation: AsyncThrowingStream<EtcdWatchResponse, any Error>.Continuation
    private let decoder = JSONDecoder()
    /// etcd confirmed the watch (`created`).
    private(set) var established = false
    /// The watch is over and the continuation finished.
    private(set) var finished = false
    /// Why the stream must be dropped and opened again.
    var failure: EtcdError?

    init(what: String, endpoint: String, state: WatchState,
         continuation: AsyncThrowingStream<EtcdWatchResponse, any Error>.Continuation) {
        self.what = what
        self.endpoint = endpoint
        self.state = state
        self.continuation = continuation
    }

    /// Handles one message; `false` stops the stream.
    mutating func handle(_ line: [UInt8]) -> Bool {
        let message: WireStreamMessage<WireWatchResponse>
        do {
            message = try decoder.decode(WireStreamMessage<WireWatchResponse>.self, from: Data(line))
        } catch {
            failure = EtcdError(.decoding, "\(what) on \(endpoint): unexpected message", endpoint: endpoint,
                                cause: .decoding("\(error); message: \(String(decoding: line.prefix(256), as: UTF8.self))"))
            return false
        }
        if let error = message.error {
            failure = EtcdConnection.serverError(grpcCode: error.grpc_code ?? 2, message: error.message ?? "",
                                                 httpStatus: error.http_code ?? 200, what: what, endpoint: endpoint)
            return false
        }
        guard let result = message.result else {
            if let error = trailingError(status: 200, remainder: line) { failure = error }
            return failure == nil
        }
        let revision = result.header?.revision?.value ?? 0
        if result.canceled == true {
            let compacted = result.compact_revision?.value ?? 0
            let error = compacted > 0
                ? EtcdError(.compacted, "\(what) on \(endpoint): revision \(state.next) has been compacted (compact revision \(compacted))",
                            endpoint: endpoint, cause: .compacted(revision: compacted))
                : EtcdConnection.serverError(grpcCode: 9, message: result.cancel_reason ?? "watch canceled by etcd",
                                             httpStatus: 200, what: what, endpoint: endpoint)
            if compacted > 0 || error.code == .authentication || !(result.cancel_reason ?? "").isEmpty {
                finished = true
                continuation.finish(throwing: error)
            } else {
                failure = error
            }
            return false
        }
        if result.created == true {
            established = true
            if state.next == 0 && revision > 0 { state.next = revision + 1 }
        }
        let wireEvents = result.events ?? []
        if wireEvents.isEmpty {
            // A progress notification: everything up to `revision` has been delivered.
            if established && result.created != true && revision >= state.next { state.next = revision + 1 }
            return true
        }
        var events: [EtcdEvent] = []
        events.reserveCapacity(wireEvents.count)
        do {
            for event in wireEvents { events.append(try EtcdEvent(event)) }
        } catch {
            failure = error
            return false
        }
        if let last = events.last?.kv.modRevision, last >= state.next { state.next = last + 1 }
        continuation.yield(EtcdWatchResponse(revision: revision, events: events))
        return true
    }

    /// The error of a gateway error body outside a stream message (`{"code": 16, ...}`).
    func trailingError(status: Int, remainder: [UInt8]) -> EtcdError? {
        guard !remainder.isEmpty, let body = try? decoder.decode(WireErrorBody.self, from: Data(remainder)),
              let code = body.code else { return nil }
        return EtcdConnection.serverError(grpcCode: code, message: body.message ?? body.error ?? "",
                                          httpStatus: status, what: what, endpoint: endpoint)
    }
}
