"""Extension objects, created bare here and bound to the app in `create_app`."""

from flask_bcrypt import Bcrypt
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

from app.api import Api
from app.jwt_manager import JWTManager

# Explicit constraint names keep migrations identical on SQLite and MySQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
jwt = JWTManager()
bcrypt = Bcrypt()
api = Api()
# Keyed by the client address (after ProxyFix, when proxies are trusted); routes add
# their own limits, nothing is limited by default.
limiter = Limiter(key_func=get_remote_address)
