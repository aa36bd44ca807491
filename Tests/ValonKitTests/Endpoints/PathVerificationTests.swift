import Testing
import ValonKit

/// valon-sync's verdict on a peer's direct path, run after run (docs/ARCHITECTURE.md §10):
/// each script is a peer's story, one observation per run, with what each run must decide.
@Suite("path verification")
struct PathVerificationTests {
    static let nat = Endpoint("203.0.113.20:40000")!
    static let moved = Endpoint("203.0.113.99:40000")!
    static let relay = Endpoint("198.51.100.1:51821")!

    struct Step: Sendable {
        var at: Int64
        var endpoint: Endpoint? = PathVerificationTests.nat
        var nat: Endpoint? = PathVerificationTests.nat
        var handshake: Int64? = nil
        var rx: UInt64? = nil
        var lan: Endpoint? = nil
        var relayPort: UInt16? = nil
        var requestRelay = false
        var provoke = false
        var failed = false
    }

    struct Script: Sendable, CustomTestStringConvertible {
        var what: String
        var steps: [Step]
        var testDescription: String { what }
    }

    static let scripts: [Script] = [
        Script(what: "a handshake after the endpoint was set: working, nothing to do", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1003, handshake: 1002),
            Step(at: 1100, handshake: 1002),
        ]),
        Script(what: "no handshake for 15 s: failed, a relay is asked once, again after 60 s", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1010, provoke: true),
            Step(at: 1015, requestRelay: true, failed: true),
            Step(at: 1030, failed: true),
            Step(at: 1075, requestRelay: true, failed: true),
        ]),
        Script(what: "a handshake from before the endpoint was set does not count", steps: [
            Step(at: 1000, handshake: 990, provoke: true),
            Step(at: 1016, handshake: 990, requestRelay: true, failed: true),
        ]),
        Script(what: "the zone relays the pair: nothing more is asked or verified", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1016, requestRelay: true, failed: true),
            Step(at: 1020, endpoint: relay, relayPort: 51821, failed: true),
            Step(at: 2000, endpoint: relay, relayPort: 51821, failed: true),
        ]),
        Script(what: "the relay goes (idle): the direct endpoint is tried afresh", steps: [
            Step(at: 1000, endpoint: relay, relayPort: 51821),
            Step(at: 1010, provoke: true),
            Step(at: 1012, handshake: 1011),
        ]),
        Script(what: "the peer's record changes while failed: direct is tried again from now", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1016, requestRelay: true, failed: true),
            Step(at: 1020, endpoint: moved, nat: moved, provoke: true),
            Step(at: 1030, endpoint: moved, nat: moved, provoke: true),
            Step(at: 1036, endpoint: moved, nat: moved, requestRelay: true, failed: true),
        ]),
        Script(what: "a session that was up keeps running across an endpoint change: bytes received count", steps: [
            Step(at: 1000, handshake: 900, rx: 5000, provoke: true),
            Step(at: 1008, handshake: 900, rx: 5092),
            Step(at: 1100, handshake: 990, rx: 9000),
        ]),
        Script(what: "WireGuard roaming the endpoint on a live session is no new attempt", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1002, handshake: 1001, rx: 100),
            Step(at: 1050, endpoint: Endpoint("203.0.113.20:41234")!, handshake: 1001, rx: 400),
            Step(at: 1080, endpoint: Endpoint("203.0.113.20:41234")!, handshake: 1001, rx: 400),
        ]),
        Script(what: "a working path whose session died is judged afresh, and can fail", steps: [
            Step(at: 1000, provoke: true),
            Step(at: 1002, handshake: 1001, rx: 100),
            Step(at: 1100, handshake: 1001, rx: 100),
            Step(at: 1300, handshake: 1001, rx: 100, provoke: true),
            Step(at: 1316, handshake: 1001, rx: 100, requestRelay: true, failed: true),
        ]),
        Script(what: "a LAN endpoint not heard on gives way to NAT first; the NAT endpoint then gets its own 15 s", steps: [
            Step(at: 1000, endpoint: Endpoint("192.168.1.77:51820")!, lan: Endpoint("192.168.1.77:51820")!, provoke: true),
            Step(at: 1015, endpoint: Endpoint("192.168.1.77:51820")!, lan: Endpoint("192.168.1.77:51820")!),
            Step(at: 1016, lan: Endpoint("192.168.1.77:51820")!, provoke: true),
            Step(at: 1031, lan: Endpoint("192.168.1.77:51820")!, requestRelay: true, failed: true),
        ]),
        Script(what: "a peer with no endpoint is not judged", steps: [
            Step(at: 1000, endpoint: nil, nat: nil),
            Step(at: 1100, endpoint: nil, nat: nil),
        ]),
    ]

    @Test(arguments: scripts)
    func story(_ script: Script) {
        var path: PathVerification.Path?
        for (index, step) in script.steps.enumerated() {
            let verdict = PathVerification.judge(path, observed: .init(lan: step.lan, nat: step.nat, endpoint: step.endpoint,
                                                                     lastHandshake: step.handshake, relayPort: step.relayPort,
                                                                     rxBytes: step.rx),
                                                 now: step.at)
            #expect(verdict.requestRelay == step.requestRelay, "run \(index + 1) at \(step.at): relay request")
            #expect(verdict.provoke == step.provoke, "run \(index + 1) at \(step.at): provoke")
            #expect((verdict.path.failedAt != nil) == step.failed, "run \(index + 1) at \(step.at): failed")
            path = verdict.path
        }
    }

    @Test("a failed LAN endpoint is left out for ten minutes, then tried again")
    func lanRetry() {
        let lan = Endpoint("192.168.1.77:51820")!
        var path = PathVerification.judge(nil, observed: .init(lan: lan, nat: Self.nat, endpoint: lan, lastHandshake: nil, relayPort: nil), now: 1000).path
        path = PathVerification.judge(path, observed: .init(lan: lan, nat: Self.nat, endpoint: lan, lastHandshake: nil, relayPort: nil), now: 1015).path
        #expect(path.lanFailed(at: 1015) && path.lanFailed(at: 1614))
        #expect(!path.lanFailed(at: 1615))
    }

    @Test("the same observation twice gives the same verdict: no flapping")
    func stable() {
        let observed = PathVerification.Observation(lan: nil, nat: Self.nat, endpoint: Self.nat, lastHandshake: 1005, relayPort: nil)
        let first = PathVerification.judge(nil, observed: observed, now: 1000)
        let second = PathVerification.judge(first.path, observed: observed, now: 1000)
        #expect(first == second)
    }
    static let summaries: [(String, PathVerification.Path, String)] = [
        ("waiting", .init(lan: nil, nat: "203.0.113.20:40000", endpoint: "203.0.113.20:40000", since: 100),
         "nat 203.0.113.20:40000: waiting for a handshake since 100"),
        ("heard on the LAN", .init(lan: "192.168.1.5:51820", nat: "203.0.113.20:40000", endpoint: "192.168.1.5:51820", since: 100, working: true),
         "lan 192.168.1.5:51820: handshake seen, since 100"),
        ("NAT after a failed LAN endpoint", .init(lan: "192.168.1.5:51820", nat: "203.0.113.20:40000", endpoint: "203.0.113.20:40000",
                                                  since: 115, lanFailedAt: 115, working: true),
         "nat 203.0.113.20:40000: handshake seen, since 115; lan failed at 115"),
        ("failed, relay asked", .init(lan: nil, nat: "203.0.113.20:40000", endpoint: "203.0.113.20:40000", since: 100, failedAt: 115, relayRequestedAt: 115),
         "nat 203.0.113.20:40000: no handshake since 100, failed at 115; relay asked at 115"),
        ("relayed", .init(lan: nil, nat: "203.0.113.20:40000", endpoint: "198.51.100.1:51821", since: 100, failedAt: 115, relayPort: 51821),
         "relay 198.51.100.1:51821 (port 51821): direct failed at 115"),
        ("no endpoint", .init(lan: nil, nat: nil, endpoint: nil, since: 100), "none: no endpoint to try"),
    ]

    @Test("the summary names the kind, the endpoint, whether a handshake was seen, and when", arguments: summaries)
    func summary(what: String, path: PathVerification.Path, text: String) {
        #expect(path.summary == text, "\(what)")
    }
}
