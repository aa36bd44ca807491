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
        Script(what: "a peer with no endpoint is not judged", steps: [
            Step(at: 1000, endpoint: nil, nat: nil),
            Step(at: 1100, endpoint: nil, nat: nil),
        ]),
    ]

    @Test(arguments: scripts)
    func story(_ script: Script) {
        var path: PathVerification.Path?
        for (index, step) in script.steps.enumerated() {
            let verdict = PathVerification.judge(path, observed: .init(lan: nil, nat: step.nat, endpoint: step.endpoint,
                                                                     lastHandshake: step.handshake, relayPort: step.relayPort),
                                                 now: step.at)
            #expect(verdict.requestRelay == step.requestRelay, "run \(index + 1) at \(step.at): relay request")
            #expect(verdict.provoke == step.provoke, "run \(index + 1) at \(step.at): provoke")
            #expect((verdict.path.failedAt != nil) == step.failed, "run \(index + 1) at \(step.at): failed")
            path = verdict.path
        }
    }

    @Test("the same observation twice gives the same verdict: no flapping")
    func stable() {
        let observed = PathVerification.Observation(lan: nil, nat: Self.nat, endpoint: Self.nat, lastHandshake: 1005, relayPort: nil)
        let first = PathVerification.judge(nil, observed: observed, now: 1000)
        let second = PathVerification.judge(first.path, observed: observed, now: 1000)
        #expect(first == second)
    }
}
