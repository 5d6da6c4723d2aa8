"""The demo city, Kota Kediri: its directory (`kediri.py`, and the same as a city file, `kediri.yaml`) and the
loader that puts it into a local or test stack (`loader.load_demo_data`).

For `make run`, the simulator, the tests and the bench only: it lives outside `chalicelib/`, so the deployment
package never carries it (tests/packaging/test_package.py checks).
"""
