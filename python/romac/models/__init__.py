"""romac model zoo: SD2-inpainting and the ROMANet CNNs as ONNX (full, light, tiny).

CLI: ``python3 -m romac.models --help``.
"""
