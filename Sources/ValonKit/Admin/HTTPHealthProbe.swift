import CCurl
import Dispatch

/// A `GET` of a health URL over libcurl (the DDNS API's `/health`, DESIGN §3), for
/// `valonctl status`. The etcd client's handle only POSTs, so this is its own short
/// transfer: one handle, no signals, a whole-transfer timeout, the body capped at 4 KiB.
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

    /// Fetches `url` on a dispatch thread (libcurl blocks) and returns the status and body.
    public static func get(_ url: String, timeout: Duration = .seconds(3)) async -> Result<Answer, Failure> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: perform(url, timeout: timeout))
            }
        }
    }

    static func perform(_ url: String, timeout: Duration) -> Result<Answer, Failure> {
        ccurl_global_init_once()
        guard let handle = curl_easy_init() else {
            return .failure(Failure(curlCode: Int(CURLE_FAILED_INIT.rawValue), detail: "curl_easy_init failed"))
        }
        defer { curl_easy_cleanup(handle) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        let sink = BodySink()
        let sinkPointer = Unmanaged.passRetained(sink).toOpaque()
        defer { Unmanaged<BodySink>.fromOpaque(sinkPointer).release() }

        let milliseconds = timeout.curlMilliseconds
        var status = ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        for (option, value) in [(CURLOPT_NOSIGNAL, 1), (CURLOPT_HTTPGET, 1), (CURLOPT_TIMEOUT_MS, milliseconds),
                                (CURLOPT_CONNECTTIMEOUT_MS, milliseconds)] where status == CURLE_OK {
            status = ccurl_easy_setopt_long(handle, option, value)
        }
        if status == CURLE_OK { status = ccurl_easy_setopt_string(handle, CURLOPT_URL, url) }
        if status == CURLE_OK { status = ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, healthWriteCallback) }
        if status == CURLE_OK { status = ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer) }
        if status == CURLE_OK { status = curl_easy_perform(handle) }
        guard status == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(status))
            return .failure(Failure(curlCode: Int(status.rawValue), detail: detail))
        }
        var code = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return .success(Answer(status: code, body: String(decoding: sink.body, as: UTF8.self)))
    }
}

/// Collects up to 4 KiB of a body from libcurl's write callback.
private final class BodySink {
    var body: [UInt8] = []
}

private let healthWriteCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let userdata, let pointer else { return 0 }
    let sink = Unmanaged<BodySink>.fromOpaque(userdata).takeUnretainedValue()
    let room = max(0, 4096 - sink.body.count)
    sink.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: min(total, room)))
    return total
}
