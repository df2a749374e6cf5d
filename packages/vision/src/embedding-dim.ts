/** Length of the embedder's face embeddings (ArcFace-style, 512). Apart, so that users need no ONNX runtime. */
export const EMBEDDING_DIM = 512;
