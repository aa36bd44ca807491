import CCurl
import Foundation

/// One request on a ``CurlHandle`` driven through libcurl's multi interface (curl/multi.h),
/// so that its caller can wait for it in slices: ``run(for:)`` returns when the answer is
/// complete or the slice is over, and a later call (on any thread, one at a time) goes on
/// where it stopped. The etcd client sends with a zero slice on the calling thread (nothing
/// blocks) and waits for the answer on a Dispatch thread (see ``EtcdConnection``).
///
/// Not thread-safe, like the handle it drives: one thread at a time.
final class CurlTransfer {
    private let curl: CurlHandle
    private let multi: UnsafeMutableRawPointer?
    private let sink: TransferSink
    private let sinkPointer: UnsafeMutableRawPointer
    private let headers: UnsafeMutablePointer<curl_slist>?
    /// A copy of the body that lives as long as the transfer (libcurl does not copy it).
    private let body: UnsafeMutableRawBufferPointer
    private var outcome: Result<CurlHandle.Response, CurlHandle.Failure>?

    /// Sets up `method` to `url` on `curl` and starts it (nothing is sent before ``run(for:)``).
    init(_ curl: CurlHandle, method: String, url: String, body: [UInt8], headers: [String], timeout: Duration?) {
        self.curl = curl
        if curl.multi == nil { curl.multi = curl_multi_init() }
        multi = curl.multi
        sink = TransferSink(onData: nil, isCancelled: nil)
        sinkPointer = Unmanaged.passRetained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers { list = curl_slist_append(list, header) }
        self.headers = list
        self.body = .allocate(byteCount: max(body.count, 1), alignment: 1)
        body.withUnsafeBytes { self.body.copyMemory(from: $0) }
        let status = curl.configure(method, url: url, body: UnsafeRawBufferPointer(rebasing: self.body[0..<body.count]),
                                    headers: list, timeout: timeout, sink: sinkPointer, cancellable: false)
        if status != CURLE_OK {
            complete(status, added: false)
        } else if multi == nil || curl_multi_add_handle(multi, curl.handle) != CURLM_OK {
            complete(CURLE_FAILED_INIT, added: false)
        }
    }

    /// Frees what the handle no longer points to. Everything the handle does point to was
    /// detached in ``complete(_:added:)``, on the thread that owned the handle: this may run
    /// later, on another thread, while the handle already serves the next transfer.
    deinit {
        if outcome == nil { detach(added: true) }
        body.deallocate()
        Unmanaged<TransferSink>.fromOpaque(sinkPointer).release()
    }

    /// Moves the transfer on for at most `slice` (for ever with `nil`; the request's own
    /// timeout still ends it) and returns its outcome, or `nil` when it is not done yet.
    func run(for slice: Duration?) -> Result<CurlHandle.Response, CurlHandle.Failure>? {
        let deadline = slice.map { ContinuousClock.now + $0 }
        while outcome == nil, let multi {
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK {
                complete(CURLE_FAILED_INIT, added: true)
                break
            }
            if let result = completedResult() {
                complete(result, added: true)
                break
            }
            var wait: Int32 = 1000
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { return nil }
                wait = Int32(clamping: (left.curlMilliseconds))
            }
            // Sleeps until the socket is ready, libcurl's own timer fires, or `wait` ms pass.
            curl_multi_poll(multi, nil, 0, max(wait, 1), nil)
        }
        return outcome
    }

    /// The result of the handle's transfer when libcurl reports it done.
    private func completedResult() -> CURLcode? {
        guard let multi else { return nil }
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE, message.pointee.easy_handle == curl.handle {
                return message.pointee.data.result
            }
        }
        return nil
    }

    /// Ends the transfer with `result`: takes the handle out of the multi handle and off this
    /// transfer's body and headers, so that nothing of the handle refers to this object.
    private func complete(_ result: CURLcode, added: Bool) {
        outcome = curl.finish(result, sink: sink)
        detach(added: added)
    }

    private func detach(added: Bool) {
        if added, let multi { curl_multi_remove_handle(multi, curl.handle) }
        _ = ccurl_easy_setopt_pointer(curl.handle, CURLOPT_POSTFIELDS, nil)
        _ = ccurl_easy_setopt_slist(curl.handle, CURLOPT_HTTPHEADER, nil)
        curl_slist_free_all(headers)
    }
}
