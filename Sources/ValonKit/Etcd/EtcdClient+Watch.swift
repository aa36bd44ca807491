import Synchronization
import Foundation

extension EtcdClient {
    /// How many times a watch of this client lost its stream and opened it again (for metrics).
    public var watchReconnects: Int { transport.watchReconnects }

    /// Watches a key or range (`/v3/watch`, a stream of newline-delimited JSON messages).
    ///
    /// The stream survives the loss of its connection: it reconnects to the next endpoint
    /// with backoff and resumes at the revision after the last one it delivered, so no event
    /// is lost or repeated. It ends with an ``EtcdError`` of code `.compacted` when the
    /// revision to resume from has been compacted (read everything again, then watch anew),
    /// or `.authentication` when the credentials are refused. Cancelling the consuming task
    /// (or dropping the stream) stops the watch within about a second.
    public func watch(_ request: EtcdWatchRequest) -> AsyncThrowingStream<EtcdWatchResponse, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchResponse.self)
        let state = WatchState(next: request.startRevision)
        let transport = transport
        let task = Task {
            await WatchRunner(transport: transport, request: request, state: state, continuation: continuation).run()
        }
        continuation.onTermination = { _ in
            state.cancel()
            task.cancel()
        }
        return stream
    }
}

/// The resume point and cancel flag of one watch, shared with its stream threads.
final class WatchState: Sendable {
    private let state: Mutex<(next: Int64, cancelled: Bool)>

    init(next: Int64) { state = Mutex((next, false)) }

    var next: Int64 {
        get { state.withLock { $0.next } }
        set { state.withLock { $0.next = newValue } }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() { state.withLock { $0.cancelled = true } }
}

/// Runs one watch: a loop of stream attempts, each on its own thread.
struct WatchRunner: Sendable {
    let transport: EtcdTransport
    let request: EtcdWatchRequest
    let state: WatchState
    let continuation: AsyncThrowingStream<EtcdWatchResponse, any Error>.Continuation

    /// How one stream attempt ended.
    enum Outcome {
        /// The watch is over; the continuation has been finished.
        case finished
        /// The connection broke or the stream ended; `established` if etcd had created the watch.
        case broken(EtcdError, established: Bool)
    }

    func run() async {
        let count = transport.connections.count
        var index = transport.preferred
        var failures = 0
        while !state.isCancelled {
            let connection = transport.connections[index]
            var token = transport.currentToken
            if transport.configuration.credentials != nil && token == nil {
                do {
                    token = try await transport.authenticate(on: connection)
                } catch where error.code == .authentication {
                    continuation.finish(throwing: error)
                    return
                } catch {
                    token = nil
                }
            }
            let outcome = await attempt(on: connection, token: token)
            switch outcome {
            case .finished:
                return
            case .broken(let error, let established):
                if error.code == .cancelled || state.isCancelled { break }
                if error.isRefusedToken { transport.invalidateToken() }
                if error.code == .authentication && !error.isRefusedToken {
                    continuation.finish(throwing: error)
                    return
                }
                failures = established ? 1 : failures + 1
            }
            if state.isCancelled { break }
            transport.countWatchReconnect()
            index = (index + 1) % count
            let pause = Duration.milliseconds(min(1000, 25 << min(failures, 6)))
            try? await Task.sleep(for: pause)
        }
        continuation.finish()
    }

    /// One streaming POST to `/v3/watch`, holding a thread of ``BlockingPool`` for its life.
    private func attempt(on connection: EtcdConnection, token: String?) async -> Outcome {
        await runBlocking { self.stream(on: connection, token: token) }
    }

    /// Blocks for the life of one stream, delivering its messages as they arrive.
    private func stream(on connection: EtcdConnection, token: String?) -> Outcome {
        let endpoint = connection.endpoint
        let what = "watch \(EtcdClient.show(request.key))"
        let handle: CurlHandle
        do {
            handle = try CurlHandle(target: endpoint, tls: transport.configuration.tls,
                                    connectTimeout: transport.configuration.connectTimeout)
        } catch {
            return .broken(error, established: false)
        }
        var create = WireWatchCreateRequest(key: Data(request.key))
        if !request.rangeEnd.isEmpty { create.range_end = Data(request.rangeEnd) }
        let next = state.next
        if next > 0 { create.start_revision = WireInt64(next) }
        if request.prevKV { create.prev_kv = true }
        if request.progressNotify { create.progress_notify = true }
        let body = Array(try! JSONEncoder().encode(WireWatchRequest(create_request: create)))

        var parser = WatchStreamParser(what: what, endpoint: endpoint, state: state, continuation: continuation)
        var lines = JSONLineBuffer()
        let result = handle.post(
            url: endpoint + "/v3/watch", body: body, headers: EtcdConnection.headers(token: token), timeout: nil,
            onData: { chunk in
                guard let complete = lines.append(chunk) else {
                    parser.failure = EtcdError(.decoding, "\(what) on \(endpoint): a stream message exceeds the size limit",
                                               endpoint: endpoint)
                    return false
                }
                for line in complete where !parser.handle(line) { return false }
                return !state.isCancelled
            },
            isCancelled: { state.isCancelled })
        if parser.finished { return .finished }
        if let failure = parser.failure { return .broken(failure, established: parser.established) }
        switch result {
        case .failure(let failure):
            return .broken(EtcdConnection.error(for: failure, what: what, endpoint: endpoint), established: parser.established)
        case .success(let response):
            if response.status != 200, let error = parser.trailingError(status: response.status, remainder: lines.remainder) {
                return .broken(error, established: parser.established)
            }
            return .broken(EtcdError(.connection, "\(what) on \(endpoint): the stream ended", endpoint: endpoint),
                           established: parser.established)
        }
    }
}
