import Dispatch

/// A `GET` of a health URL over libcurl (the DDNS API's `/health`, docs/ARCHITECTURE.md §3), for
/// `valonctl status`, through a fresh ``CurlHandle``: a whole-transfer timeout, the body
/// capped at 4 KiB.
public enum HTTPHealthProbe {
    public struct Answer: Sendable, Hashable {
        public var status: Int
        public var body: String
    }

    /// A failed transfer: libcurl's code and its detailed message.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var curlCode: Int
        public var detail: String
        public var description: String { "curl error \(curlCode): \(detail)" }
    }

    /// Fetches `url` on ``BlockingPool`` (libcurl blocks) and returns the status and body.
    public static func get(_ url: String, timeout: Duration = .seconds(3)) async -> Result<Answer, Failure> {
        await runBlocking { perform(url, timeout: timeout) }
    }

    static func perform(_ url: String, timeout: Duration) -> Result<Answer, Failure> {
        let handle: CurlHandle
        switch CurlHandle.plain(url: url, connectTimeout: timeout) {
        case .failure(let failure): return .failure(Failure(curlCode: failure.code, detail: failure.detail))
        case .success(let made): handle = made
        }
        var body: [UInt8] = []
        let result = handle.perform("GET", url: url, headers: [], timeout: timeout, onData: { bytes in
            body.append(contentsOf: bytes.prefix(max(0, 4096 - body.count)))
            return true
        })
        switch result {
        case .failure(let failure):
            return .failure(Failure(curlCode: failure.code, detail: failure.detail))
        case .success(let response):
            return .success(Answer(status: response.status, body: String(decoding: body, as: UTF8.self)))
        }
    }
}
