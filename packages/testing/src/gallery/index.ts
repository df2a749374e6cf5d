/** Gallery test kit: the contract suite every backend runs, a fake Qdrant server, random unit vectors. */
export { type ContractSubject, fakeJpeg, runGalleryContract } from "./contract.ts";
export { FakeQdrantServer } from "./fake-qdrant-server.ts";
export { cosineSimilarity, randomUnitVector, vectorWithSimilarity } from "./random-vectors.ts";
