import CCurl
import Foundation

/// One libcurl easy handle that keeps its connection open between requests
/// (HTTP/1.1 keep-alive; libcurl reuses the connection of a handle for the same host).
/// The etcd client POSTs through it (``post(url:body:headers:timeout:onData:isCancelled:)``);
/// `valonctl status`'s health probe and the DDNS client send GET, POST and DELETE requests
/// (RFC 9110 §9.3) through ``perform(_:url:body:headers:timeout:onData:isCancelled:)``.
///
/// Not thread-safe: it is used by one thread at a time. ``perform(_:url:body:headers:timeout:onData:isCancelled:)``
/// blocks (a watch's own thread, the command-line tools); the etcd client drives its
/// requests in slices through ``CurlTransfer`` instead.
final class CurlHandle {
    /// What libcurl said when a transfer failed.
    struct Failure: Error {
        var code: Int
        var detail: String
        /// The transfer was stopped by ``CurlHandle/perform(_:url:body:headers:timeout:onData:isCancelled:)``'s callbacks.
        var aborted: Bool
        var timedOut: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
    }

    /// The outcome of a completed transfer: the HTTP status and, unless streamed, the body.
    struct Response {
        var status: Int
        var body: [UInt8]
        /// Header and trailer lines, for a handle made with `http2` (gRPC answers in trailers).
        var headers: [String]
    }

    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The multi handle that drives this handle's ``CurlTransfer``s, made on first use; it
    /// keeps the handle's connection between them.
    var multi: UnsafeMutableRawPointer?
    private let target: String
    private let capturesHeaders: Bool
    /// The method the handle is set up for: POST from ``init(target:tls:connectTimeout:http2:)``.
    private var method = "POST"

    /// Creates the handle with the options that stay the same for every request.
    /// With `http2`, the handle speaks HTTP/2 (prior knowledge on `http`, ALPN on `https`)
    /// and keeps header and trailer lines, as gRPC needs.
    init(target: String, tls: EtcdTLS?, connectTimeout: Duration, http2: Bool = false) throws(EtcdError) {
        ccurl_global_init_once()
        guard let handle = curl_easy_init() else {
            throw EtcdError(.configuration, "curl_easy_init failed for \(target)", endpoint: target)
        }
        self.handle = handle
        self.target = target
        capturesHeaders = http2
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        var status = ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        // Threads without signals: libcurl must not use SIGALRM for DNS timeouts.
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.curlMilliseconds))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_TCP_KEEPIDLE, 10))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_TCP_KEEPINTVL, 5))
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_POST, 1))
        status = orFirst(status, ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        status = orFirst(status, ccurl_easy_setopt_xferinfo_callback(handle, curlProgressCallback))
        if http2 {
            let version = target.hasPrefix("https:") ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
            status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, version))
            status = orFirst(status, ccurl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
            // Large ranges arrive in megabytes: read them in large chunks.
            status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024))
            // libcurl before 7.89 fails every request after the first on a reused HTTP/2
            // prior-knowledge connection ("Error in the HTTP2 framing layer", curl#10634):
            // there, each gRPC call opens its own connection.
            if version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE, Self.libcurlVersion < 0x07_59_00 {
                status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_FORBID_REUSE, 1))
            }
        }
        if let tls {
            if let ca = tls.caFile { status = orFirst(status, ccurl_easy_setopt_string(handle, CURLOPT_CAINFO, ca)) }
            if let cert = tls.certificateFile { status = orFirst(status, ccurl_easy_setopt_string(handle, CURLOPT_SSLCERT, cert)) }
            if let key = tls.keyFile { status = orFirst(status, ccurl_easy_setopt_string(handle, CURLOPT_SSLKEY, key)) }
        }
        if status != CURLE_OK {
            let detail = String(cString: curl_easy_strerror(status))
            curl_easy_cleanup(handle)
            errorBuffer.deallocate()
            throw EtcdError(.configuration, "cannot configure libcurl for \(target)", endpoint: target,
                            cause: .curl(code: Int(status.rawValue), detail: detail))
        }
    }

    /// A handle for plain HTTP/1.1 requests to `url` (no TLS options), its setup error as a
    /// ``Failure``, for callers outside the etcd client.
    static func plain(url: String, connectTimeout: Duration) -> Result<CurlHandle, Failure> {
        do {
            return .success(try CurlHandle(target: url, tls: nil, connectTimeout: connectTimeout))
        } catch {
            if case .curl(let code, let detail)? = error.cause {
                return .failure(Failure(code: code, detail: detail, aborted: false))
            }
            return .failure(Failure(code: Int(CURLE_FAILED_INIT.rawValue), detail: "curl_easy_init failed", aborted: false))
        }
    }

    /// The running libcurl's version as 0xXXYYZZ.
    static let libcurlVersion: UInt32 = UInt32(curl_version_info(CURLVERSION_FIRST).pointee.version_num)

    deinit {
        if let multi { curl_multi_cleanup(multi) }
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// POSTs `body` to `url` and blocks until the answer is complete (see ``perform(_:url:body:headers:timeout:onData:isCancelled:)``).
    func post(
        url: String, body: [UInt8], headers: [String], timeout: Duration?,
        onData: ((UnsafeRawBufferPointer) -> Bool)? = nil,
        isCancelled: (() -> Bool)? = nil
    ) -> Result<Response, Failure> {
        perform("POST", url: url, body: body, headers: headers, timeout: timeout, onData: onData, isCancelled: isCancelled)
    }

    /// Sends a `method` request to `url` and blocks until the answer is complete. GET sends
    /// no body; any other method sends `body` (DELETE and PUT through `CURLOPT_CUSTOMREQUEST`).
    ///
    /// With `onData`, the body is handed over chunk by chunk as it arrives (a stream) and
    /// not collected; returning `false` from it stops the transfer. `isCancelled` is polled
    /// by libcurl's progress callback (at least once a second while idle).
    /// A `timeout` of `nil` lets the transfer run as long as the connection lives.
    func perform(
        _ method: String, url: String, body: [UInt8] = [], headers: [String], timeout: Duration?,
        onData: ((UnsafeRawBufferPointer) -> Bool)? = nil,
        isCancelled: (() -> Bool)? = nil
    ) -> Result<Response, Failure> {
        let sink = TransferSink(onData: onData, isCancelled: isCancelled)
        let sinkPointer = Unmanaged.passRetained(sink).toOpaque()
        defer { Unmanaged<TransferSink>.fromOpaque(sinkPointer).release() }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }

        let result: CURLcode = body.withUnsafeBytes { bytes in
            // The body stays valid for the whole (blocking) perform; libcurl does not copy it.
            let status = configure(method, url: url, body: bytes, headers: list, timeout: timeout,
                                   sink: sinkPointer, cancellable: isCancelled != nil)
            guard status == CURLE_OK else { return status }
            defer { _ = ccurl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil) }
            return curl_easy_perform(handle)
        }
        return finish(result, sink: sink)
    }

    /// Sets the options of one request. `body` (ignored for GET) and `headers` must stay
    /// valid until the transfer ends: libcurl does not copy them.
    func configure(
        _ method: String, url: String, body: UnsafeRawBufferPointer, headers list: UnsafeMutablePointer<curl_slist>?,
        timeout: Duration?, sink sinkPointer: UnsafeMutableRawPointer, cancellable: Bool
    ) -> CURLcode {
        errorBuffer[0] = 0
        var status = ccurl_easy_setopt_string(handle, CURLOPT_URL, url)
        if method != self.method {
            status = orFirst(status, ccurl_easy_setopt_long(handle, method == "GET" ? CURLOPT_HTTPGET : CURLOPT_POST, 1))
            if method == "GET" || method == "POST" {
                status = orFirst(status, ccurl_easy_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil))
            } else {
                status = orFirst(status, ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method))
            }
            self.method = method
        }
        status = orFirst(status, ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list))
        status = orFirst(status, ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer))
        status = orFirst(status, ccurl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, sinkPointer))
        if capturesHeaders { status = orFirst(status, ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer)) }
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout?.curlMilliseconds ?? 0))
        // The progress callback only serves cancellation (long-lived streams).
        status = orFirst(status, ccurl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, cancellable ? 0 : 1))
        if method != "GET" {
            status = orFirst(status, ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            status = orFirst(status, ccurl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS,
                UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(errorBuffer))))
        }
        return status
    }

    /// The outcome of a transfer that ended with `result`.
    func finish(_ result: CURLcode, sink: TransferSink) -> Result<Response, Failure> {
        if result != CURLE_OK { return .failure(failure(result, aborted: sink.aborted)) }
        var code = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return .success(Response(status: code, body: sink.body, headers: sink.headers))
    }

    func failure(_ code: CURLcode, aborted: Bool) -> Failure {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        return Failure(code: Int(code.rawValue), detail: detail, aborted: aborted)
    }

    private func orFirst(_ first: CURLcode, _ next: CURLcode) -> CURLcode {
        first != CURLE_OK ? first : next
    }
}

/// Where one transfer's bytes go, reached from libcurl's C callbacks.
final class TransferSink {
    var body: [UInt8] = []
    var headers: [String] = []
    var aborted = false
    let onData: ((UnsafeRawBufferPointer) -> Bool)?
    let isCancelled: (() -> Bool)?

    init(onData: ((UnsafeRawBufferPointer) -> Bool)?, isCancelled: (() -> Bool)?) {
        self.onData = onData
        self.isCancelled = isCancelled
    }
}

/// CURLOPT_WRITEFUNCTION: returning less than the size given stops the transfer.
private let curlWriteCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let userdata else { return 0 }
    let sink = Unmanaged<TransferSink>.fromOpaque(userdata).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: pointer, count: total)
    if let onData = sink.onData {
        guard onData(bytes) else {
            sink.aborted = true
            return 0
        }
    } else {
        sink.body.append(contentsOf: bytes)
    }
    return total
}

/// CURLOPT_HEADERFUNCTION: one header (or trailer) line at a time, with its CRLF.
private let curlHeaderCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let userdata else { return 0 }
    let sink = Unmanaged<TransferSink>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: total), as: UTF8.self)
    sink.headers.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
    return total
}

/// CURLOPT_XFERINFOFUNCTION: a non-zero return stops the transfer.
private let curlProgressCallback: ccurl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let sink = Unmanaged<TransferSink>.fromOpaque(userdata).takeUnretainedValue()
    if let isCancelled = sink.isCancelled, isCancelled() {
        sink.aborted = true
        return 1
    }
    return 0
}
