"""Tables of what load balancers may be created with: flavors and availability zones, each
pointing at a profile that holds the provider's settings (migration 0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lbaas.storage.models import Base, Timestamp, new_id, utcnow


class FlavorProfile(Base):
    __tablename__ = "flavor_profiles"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    provider_name: Mapped[str] = mapped_column(String(64))
    flavor_data: Mapped[str] = mapped_column(Text)  # a JSON object, as Octavia keeps it
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Flavor(Base):
    __tablename__ = "flavors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    flavor_profile_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("flavor_profiles.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AvailabilityZoneProfile(Base):
    __tablename__ = "availability_zone_profiles"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    provider_name: Mapped[str] = mapped_column(String(64))
    availability_zone_data: Mapped[str] = mapped_column(Text)  # a JSON object
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AvailabilityZone(Base):
    """Keyed by name, as Octavia's."""

    __tablename__ = "availability_zones"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    availability_zone_profile_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("availability_zone_profiles.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
