"""``scalekit.v1.connected_accounts`` at the official import path: its enums (``ConnectorStatus``,
``ConnectorType``, as IntEnums with protobuf's ``Name``/``Value``) and real protobuf message classes,
built from core's descriptor set. The low-level ``client.connected_accounts`` takes and returns
them as the official SDK does; the Python API reports statuses by name (``"ACTIVE"``)."""

from scalekit.v1._wire import members

globals().update(members("scalekit/v1/connected_accounts/connected_accounts.proto", __name__))
