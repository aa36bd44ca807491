#if canImport(Glibc)
import Glibc
#endif

/// Resolves a host name through the system resolver (`getaddrinfo(3)`, RFC 3493 §6.1), for
/// a `DISCOVERY_ENDPOINT` given as a name rather than an address.
public enum HostResolution {
    /// The addresses of `host`, IPv4 first, without duplicates; an address literal is
    /// returned as it is.
    public static func addresses(of host: String) throws(ClientError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            throw ClientError(.network, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var result = [IPAddress]()
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen)))
                }
                if let endpoint = Endpoint(socketAddress: storage), !result.contains(endpoint.address) {
                    result.append(endpoint.address)
                }
            }
            entry = current.pointee.ai_next
        }
        return result.sorted { $0.isIPv4 && !$1.isIPv4 }
    }
}
