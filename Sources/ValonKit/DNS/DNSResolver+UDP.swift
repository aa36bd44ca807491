#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DNSResolver {
    /// Runs a pipeline over one fresh connected UDP socket (a new ephemeral source port):
    /// sends while the window allows, retransmits what timed out, and takes only
    /// datagrams from the server's address and port that match a waiting query.
    static func exchangeOverUDP(_ pipeline: inout DNSQueryPipeline, _ configuration: Configuration,
                                _ cancellation: DNSCancellation) throws(DNSError) {
        let server = configuration.server
        do {
            let socket = try DNSSocket(.datagram, server: server)
            _ = try socket.startConnect()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !pipeline.isComplete {
                var blocked = false
                while let index = pipeline.nextToSend(now: .now) {
                    guard try socket.transmit(pipeline.queries[index].packet[...]) != nil else {
                        blocked = true
                        break
                    }
                    pipeline.didSend(index, at: .now)
                }
                if let index = pipeline.exhausted(now: .now) {
                    throw timeoutError(pipeline.queries[index], server: server, over: "UDP", tries: pipeline.attempts)
                }
                let deadline = pipeline.nextDeadline ?? .now + configuration.timeout
                let events = Int16(POLLIN) | (blocked ? Int16(POLLOUT) : 0)
                switch try socket.wait(for: events, until: deadline, cancellation: cancellation) {
                case .cancelled: throw cancelledError(server: server)
                case .timedOut: continue
                case .ready:
                    while let (count, sender) = try socket.receive(into: &buffer) {
                        guard sender == server else { continue }
                        _ = pipeline.accept(Array(buffer[..<count]))
                    }
                }
            }
        } catch let error as SystemError {
            throw networkError(error, server: server, over: "UDP")
        } catch let error as DNSError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
}
