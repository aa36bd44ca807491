import CCurl

/// One blocking HTTP request over libcurl (a fresh easy handle: the client makes one or two
/// calls per run), for the DDNS API. Methods other than GET and POST are sent with
/// `CURLOPT_CUSTOMREQUEST`, the body with `CURLOPT_POSTFIELDS`.
struct HTTPExchange {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    /// libcurl's code and reason when no HTTP answer came.
    struct Failure: Error {
        var code: Int
        var detail: String
    }

    var method: String
    var url: String
    var body: [UInt8]
    var headers: [String]
    var timeout: Duration

    func perform() -> Result<Response, Failure> {
        ccurl_global_init_once()
        guard let handle = curl_easy_init() else { return .failure(Failure(code: -1, detail: "curl_easy_init failed")) }
        defer { curl_easy_cleanup(handle) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        let sink = ResponseSink()
        let sinkPointer = Unmanaged.passRetained(sink).toOpaque()
        defer { Unmanaged<ResponseSink>.fromOpaque(sinkPointer).release() }

        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var options: [CURLcode] = [
            ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer),
            ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds),
            ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds),
            ccurl_easy_setopt_string(handle, CURLOPT_URL, url),
            ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list),
            ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, responseWriteCallback),
            ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer),
        ]
        if method != "GET" {
            options.append(ccurl_easy_setopt_long(handle, CURLOPT_POST, 1))
            options.append(ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            if method != "POST" { options.append(ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)) }
        }
        if let bad = options.first(where: { $0 != CURLE_OK }) {
            return .failure(Failure(code: Int(bad.rawValue), detail: String(cString: curl_easy_strerror(bad))))
        }
        let result: CURLcode = body.withUnsafeBytes { bytes in
            if method != "GET" {
                // libcurl reads the body during the (blocking) perform and does not copy it.
                _ = ccurl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS,
                                              UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)))
            }
            return curl_easy_perform(handle)
        }
        guard result == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
            return .failure(Failure(code: Int(result.rawValue), detail: detail))
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(Response(status: status, body: sink.body))
    }
}

private final class ResponseSink {
    var body: [UInt8] = []
}

/// CURLOPT_WRITEFUNCTION: collects the body (at most 1 MiB; more stops the transfer).
private let responseWriteCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let total = size * count
    guard let userdata else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    guard sink.body.count + total <= 1 << 20 else { return 0 }
    sink.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: total))
    return total
}
