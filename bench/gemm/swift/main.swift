import Kernels
print(VectorISA.summary)
