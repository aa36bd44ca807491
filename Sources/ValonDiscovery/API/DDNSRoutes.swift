import Hummingbird
import NIOCore
import ValonKit

/// The DDNS API's routes (docs/ARCHITECTURE.md §3): `POST /api/endpoint`, `DELETE /api/endpoint/delete`,
/// `POST /api/relay` (§10), `GET /health` and `GET /metrics`. Every answer is counted by status in ``DiscoveryMetrics``.
struct DDNSRoutes: Sendable {
    let handler: DDNSHandler
    let store: RegistrySnapshotStore
    let wireGuard: WireGuardStatus
    let metrics: DiscoveryMetrics

    func router() -> Router<DDNSRequestContext> {
        let router = Router(context: DDNSRequestContext.self)
        router.post("api/endpoint") { request, context in
            await respond(request, context) { body, caller throws(DDNSError) in
                DDNSReply(success: true, message: try await handler.updateEndpoint(body: body, caller: caller))
            }
        }
        router.delete("api/endpoint/delete") { request, context in
            await respond(request, context) { body, caller throws(DDNSError) in
                DDNSReply(success: true, message: try await handler.deleteEndpoint(body: body, caller: caller))
            }
        }
        router.post("api/relay") { request, context in
            await respond(request, context) { body, caller throws(DDNSError) in
                try await handler.requestRelay(body: body, caller: caller)
            }
        }
        router.get("health") { _, _ in
            let report = HealthReport(etcdHealthy: store.isEtcdHealthy, phase: store.phase, snapshot: store.current,
                                      wireGuard: wireGuard.reading)
            let response = DDNSReply.json(report, status: report.isHealthy ? .ok : .serviceUnavailable)
            metrics.recordAPIRequest(status: Int(response.status.code))
            return response
        }
        router.get("metrics") { _, _ in
            metrics.recordAPIRequest(status: 200)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("openapi.json") { _, _ in
            metrics.recordAPIRequest(status: 200)
            return OpenAPIDocument.response
        }
        return router
    }

    /// Identifies the caller by the connection's source address, applies the rate limit
    /// and the body limit, runs `action` and turns its outcome into the JSON answer.
    private func respond(
        _ request: Request,
        _ context: DDNSRequestContext,
        _ action: @Sendable ([UInt8], IPAddress) async throws(DDNSError) -> DDNSReply
    ) async -> Response {
        let response: Response
        do {
            response = try await perform(request, context, action).response
        } catch {
            if error.code == .unavailable || error.code == .conflict {
                context.logger.warning("DDNS request failed", metadata: ["error": "\(error)"])
            }
            response = DDNSReply.response(for: error)
        }
        metrics.recordAPIRequest(status: Int(response.status.code))
        return response
    }

    private func perform(
        _ request: Request,
        _ context: DDNSRequestContext,
        _ action: @Sendable ([UInt8], IPAddress) async throws(DDNSError) -> DDNSReply
    ) async throws(DDNSError) -> DDNSReply {
        // A node that has not read the registry cannot check a caller against it.
        guard store.live != nil else {
            throw DDNSError(.unavailable, "the registry has not been read from etcd yet; try again later")
        }
        guard let caller = context.remoteAddress?.callerAddress else {
            throw DDNSError(.forbidden, "the caller's address is unknown")
        }
        try handler.admit(caller)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > DDNSLimits.maxBodySize {
            throw DDNSError(.bodyTooLarge, "the body has \(length) bytes; at most \(DDNSLimits.maxBodySize) are accepted")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw DDNSError(.bodyTooLarge, "the body is larger than \(DDNSLimits.maxBodySize) bytes")
        } catch {
            throw DDNSError(.malformedRequest, "the body could not be read")
        }
        return try await action(Array(body.readableBytesView), caller)
    }
}
