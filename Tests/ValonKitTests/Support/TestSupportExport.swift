// The shared real-process helpers (EtcdCluster, Command, NSDServer, SpawnedProcess, FreePort,
// LoopbackUDP, LoopbackTCP, collect)
// live in the ValonTestSupport target; every file of this target sees them.
@_exported import ValonTestSupport
