import Foundation

/// An etcd v3 client over etcd's JSON gateway (`/v3/...`, etcd 3.4 and later) and libcurl.
///
/// Every call is async. Calls to one endpoint run one at a time on its keep-alive
/// connection; each is sent from the calling thread without blocking and its answer awaited
/// on a Dispatch thread, so blocking libcurl work never runs on Swift's cooperative pool. A call
/// goes to the endpoint that last worked and fails over to the next on a connection error
/// or an "unavailable" answer; errors name the endpoint and what etcd answered.
///
/// ```swift
/// let etcd = try EtcdClient(EtcdConfiguration(endpoints: ["http://127.0.0.1:2379"]))
/// try await etcd.put(EtcdPutRequest(key: "/valon/x", value: "1"))
/// let all = try await etcd.range(.prefix("/valon/"))
/// ```
public final class EtcdClient: Sendable {
    let transport: EtcdTransport

    public init(_ configuration: EtcdConfiguration) throws(EtcdError) {
        transport = try EtcdTransport(configuration: configuration)
    }

    public var configuration: EtcdConfiguration { transport.configuration }

    // MARK: - KV

    /// Reads one key, a range or a prefix. A single key goes over the gateway
    /// (`/v3/kv/range`, the endpoint's keep-alive connection); a range of keys goes over
    /// gRPC (`/etcdserverpb.KV/Range`, HTTP/2 and protobuf), where etcd answers a large
    /// range several times faster, unless ``EtcdConfiguration/rangesOverGRPC`` is off.
    /// An endpoint that does not speak gRPC (an HTTP/1 proxy) gets the gateway.
    public func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        let what = "range \(Self.show(request.key))"
        if transport.configuration.rangesOverGRPC && !request.rangeEnd.isEmpty {
            do {
                let (body, endpoint) = try await transport.callGRPC("/etcdserverpb.KV/Range", message: request.protobuf, what: what)
                return try Self.decodeRange(body, what: what, endpoint: endpoint)
            } catch where error.code == .http {
                // Not a gRPC server: use the gateway below.
            }
        }
        let wire = try await transport.call("/v3/kv/range", request.wire, as: WireRangeResponse.self, what: what)
        return EtcdRangeResponse(wire)
    }

    private static func decodeRange(_ body: [UInt8], what: String, endpoint: String) throws(EtcdError) -> EtcdRangeResponse {
        do {
            return try EtcdRangeResponse(protobuf: body, range: try GRPCFrame.unwrap(body))
        } catch {
            throw EtcdError(.decoding, "\(what) on \(endpoint): unexpected gRPC answer", endpoint: endpoint,
                            cause: .decoding(error.description))
        }
    }

    /// The value of one key, or `nil` when it does not exist.
    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        try await range(EtcdRangeRequest(key: key)).kvs.first
    }

    /// Writes one key (`/v3/kv/put`).
    @discardableResult
    public func put(_ request: EtcdPutRequest) async throws(EtcdError) -> EtcdPutResponse {
        let wire = try await transport.call("/v3/kv/put", request.wire, as: WirePutResponse.self,
                                            what: "put \(Self.show(request.key))")
        return EtcdPutResponse(wire)
    }

    /// Deletes one key or a range (`/v3/kv/deleterange`).
    @discardableResult
    public func delete(_ request: EtcdDeleteRequest) async throws(EtcdError) -> EtcdDeleteResponse {
        let wire = try await transport.call("/v3/kv/deleterange", request.wire, as: WireDeleteRangeResponse.self,
                                            what: "delete \(Self.show(request.key))")
        return EtcdDeleteResponse(wire)
    }

    /// Runs a transaction (`/v3/kv/txn`).
    public func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        let keys = request.compare.map { Self.show($0.key) }.prefix(3).joined(separator: ", ")
        let wire = try await transport.call("/v3/kv/txn", request.wire, as: WireTxnResponse.self,
                                            what: "txn [\(keys)]")
        return try EtcdTxnResponse(wire)
    }

    // MARK: - Leases

    /// Grants a lease of `ttl` seconds (`/v3/lease/grant`).
    public func grantLease(ttl: Int64) async throws(EtcdError) -> EtcdLease {
        let wire = try await transport.call("/v3/lease/grant", WireLeaseGrantRequest(TTL: WireInt64(ttl), ID: nil),
                                            as: WireLeaseResponse.self, what: "grant lease of \(ttl) s")
        if let error = wire.error, !error.isEmpty {
            throw EtcdError(.server, "grant lease of \(ttl) s: \(error)")
        }
        guard let id = wire.ID?.value else { throw EtcdError(.decoding, "grant lease: the answer has no lease ID") }
        return EtcdLease(id: id, ttl: wire.TTL?.value ?? 0)
    }

    /// Renews a lease once (`/v3/lease/keepalive`, one message of the stream) and returns
    /// its new TTL; a TTL of 0 means the lease has already expired.
    public func keepAlive(lease id: Int64) async throws(EtcdError) -> EtcdLease {
        let wire = try await transport.call("/v3/lease/keepalive", WireLeaseID(ID: WireInt64(id)),
                                            as: WireStreamMessage<WireLeaseResponse>.self, what: "keep lease \(id) alive")
        if let error = wire.error {
            throw EtcdConnection.serverError(grpcCode: error.grpc_code ?? 2, message: error.message ?? "",
                                             httpStatus: error.http_code ?? 200, what: "keep lease \(id) alive",
                                             endpoint: transport.configuration.endpoints[transport.preferred])
        }
        return EtcdLease(id: wire.result?.ID?.value ?? id, ttl: wire.result?.TTL?.value ?? 0)
    }

    /// The seconds left on a lease (`/v3/lease/timetolive`); -1 (or 0) when it has expired
    /// or never existed.
    public func timeToLive(lease id: Int64) async throws(EtcdError) -> Int64 {
        let wire = try await transport.call("/v3/lease/timetolive", WireLeaseID(ID: WireInt64(id)),
                                            as: WireLeaseResponse.self, what: "read the TTL of lease \(id)")
        return wire.TTL?.value ?? -1
    }

    /// Revokes a lease and deletes every key attached to it (`/v3/lease/revoke`).
    public func revokeLease(_ id: Int64) async throws(EtcdError) {
        _ = try await transport.call("/v3/lease/revoke", WireLeaseID(ID: WireInt64(id)),
                                     as: WireHeaderOnly.self, what: "revoke lease \(id)")
    }

    // MARK: - Cluster

    /// The status of the member that answers (`/v3/maintenance/status`).
    public func status() async throws(EtcdError) -> EtcdStatus {
        EtcdStatus(try await transport.call("/v3/maintenance/status", EmptyRequest(),
                                            as: WireStatusResponse.self, what: "status"))
    }

    /// The status of each configured endpoint, or the error it gave.
    public func statusOfEachEndpoint() async -> [(endpoint: String, status: Result<EtcdStatus, EtcdError>)] {
        var results: [(String, Result<EtcdStatus, EtcdError>)] = []
        for connection in transport.connections {
            do {
                let body = try await connection.post(path: "/v3/maintenance/status", body: Array("{}".utf8),
                                                     token: transport.currentToken,
                                                     timeout: transport.configuration.requestTimeout, what: "status")
                let wire = try JSONDecoder().decode(WireStatusResponse.self, from: Data(body))
                results.append((connection.endpoint, .success(EtcdStatus(wire))))
            } catch let error as EtcdError {
                results.append((connection.endpoint, .failure(error)))
            } catch {
                results.append((connection.endpoint, .failure(EtcdError(.decoding, "status on \(connection.endpoint)",
                                                                        endpoint: connection.endpoint, cause: .decoding("\(error)")))))
            }
        }
        return results
    }

    /// The cluster's members (`/v3/cluster/member/list`).
    public func memberList() async throws(EtcdError) -> [EtcdMember] {
        let wire = try await transport.call("/v3/cluster/member/list", EmptyRequest(),
                                            as: WireMemberListResponse.self, what: "member list")
        return (wire.members ?? []).map(EtcdMember.init)
    }

    /// A key for error messages: its text when printable, else its length.
    static func show(_ key: [UInt8]) -> String {
        key.allSatisfy({ (0x20..<0x7f).contains($0) }) ? String(decoding: key, as: UTF8.self) : "<\(key.count) bytes>"
    }
}

/// `{}`.
struct EmptyRequest: Codable {}
