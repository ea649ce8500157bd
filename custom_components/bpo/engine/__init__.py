"""bpo workflow engine: pure Python + asyncio, no Home Assistant imports.

Entry points: ``runtime.Engine`` (the runtime), ``schema.load_blueprint`` (the loader),
``simulate.simulate`` (virtual-clock runs). Kept import-free so ``bpo validate`` stays light.
"""
